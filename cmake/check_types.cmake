# The check-type registry (lib/check_types.h, one X(name, NAME) per line)
# read once at configure time: PH_CHECK_TYPES is the list of names, and
# ${CMAKE_BINARY_DIR}/gen/check_types_inc.h includes every
# lib/check_<name>.h. lib/ and agent/ add check_<name>.c and
# probe/probe_<name>.c from the list, so a new type needs no CMake edit.
set(_ph_registry ${CMAKE_SOURCE_DIR}/checks/registry.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${_ph_registry})
file(READ ${_ph_registry} _ph_text)
# (file(STRINGS) would keep each line's trailing backslash, which escapes
# CMake's list separator.)
string(REGEX MATCHALL "\n[ \t]*X\\([a-z0-9_]+, *[A-Z0-9_]+\\)" _ph_lines
       "${_ph_text}")
set(PH_CHECK_TYPES "")
set(_ph_inc "/* Generated from lib/check_types.h by cmake/check_types.cmake. */\n")
foreach(_l IN LISTS _ph_lines)
  string(REGEX REPLACE "^[\n \t]*X\\(([a-z0-9_]+),.*" "\\1" _n "${_l}")
  list(APPEND PH_CHECK_TYPES ${_n})
  string(APPEND _ph_inc "#include \"check_${_n}.h\"\n")
endforeach()
if(NOT PH_CHECK_TYPES)
  message(FATAL_ERROR "no check types found in ${_ph_registry}")
endif()
set(PH_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
# file(CONFIGURE) rewrites only when the text changes (no needless rebuilds).
file(CONFIGURE OUTPUT ${PH_GEN_DIR}/check_types_inc.h CONTENT "${_ph_inc}"
     @ONLY)
