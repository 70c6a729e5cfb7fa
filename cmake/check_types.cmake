# The check-type registry (checks/registry.h, one X(name, NAME) per line)
# read once at configure time: PH_CHECK_TYPES is the list of names,
# PH_CHECK_SRCS their files checks/<name>.c (lib/ compiles them for the
# key tables, agent/ again with PH_CHECK_PROBE for the probes), and
# ${CMAKE_BINARY_DIR}/gen/check_types_inc.h includes the declaration part
# (PH_CHECK_DECLARE) of every one, so a new type needs no CMake edit.
set(_ph_registry ${CMAKE_SOURCE_DIR}/checks/registry.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${_ph_registry})
file(READ ${_ph_registry} _ph_text)
# (file(STRINGS) would keep each line's trailing backslash, which escapes
# CMake's list separator.)
string(REGEX MATCHALL "\n[ \t]*X\\([a-z0-9_]+, *[A-Z0-9_]+\\)" _ph_lines
       "${_ph_text}")
set(PH_CHECK_TYPES "")
set(PH_CHECK_SRCS "")
set(_ph_inc "/* Generated from checks/registry.h by cmake/check_types.cmake:
 * the declaration part of every check type's file. */
#ifndef PH_CHECK_TYPES_INC_H
#define PH_CHECK_TYPES_INC_H
#define PH_CHECK_DECLARE
")
foreach(_l IN LISTS _ph_lines)
  string(REGEX REPLACE "^[\n \t]*X\\(([a-z0-9_]+),.*" "\\1" _n "${_l}")
  list(APPEND PH_CHECK_TYPES ${_n})
  list(APPEND PH_CHECK_SRCS ${CMAKE_SOURCE_DIR}/checks/${_n}.c)
  # By full path: a bare "http.c" would find collector/api/http.c first
  # in that library's include path.
  string(APPEND _ph_inc "#include \"${CMAKE_SOURCE_DIR}/checks/${_n}.c\"\n")
endforeach()
string(APPEND _ph_inc "#undef PH_CHECK_DECLARE\n#endif\n")
if(NOT PH_CHECK_TYPES)
  message(FATAL_ERROR "no check types found in ${_ph_registry}")
endif()
set(PH_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
# file(CONFIGURE) rewrites only when the text changes (no needless rebuilds).
file(CONFIGURE OUTPUT ${PH_GEN_DIR}/check_types_inc.h CONTENT "${_ph_inc}"
     @ONLY)
