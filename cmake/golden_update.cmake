# Runs each golden test (PH_GOLDEN_EXES, separated by |) with
# PH_GOLDEN_UPDATE=1: it rewrites the golden files whose text changed,
# lists them, and exits 99 (GOLDEN_UPDATE_EXIT in tests/unit/golden.h)
# when every test passed. Any other status is a real failure.
# Invoked by the golden-update target (tests/CMakeLists.txt).
string(REPLACE "|" ";" exes "${PH_GOLDEN_EXES}")
set(failed)
foreach(exe IN LISTS exes)
  get_filename_component(name ${exe} NAME)
  message(STATUS "golden-update: ${name}")
  execute_process(COMMAND ${CMAKE_COMMAND} -E env PH_GOLDEN_UPDATE=1 ${exe}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 99)
    list(APPEND failed "${name} (exit ${rc})")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "golden-update: tests failed besides the golden "
                      "comparisons: ${failed}")
endif()
message(STATUS "golden-update: done; review the changes with "
               "git diff -- tests/golden")
