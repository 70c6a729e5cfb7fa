# The check-type registry (checks/registry.h, one X(name, NAME) per line)
# read at configure time: PH_CHECK_TYPES is the list of names,
# PH_CHECK_SRCS their files checks/<name>.c (lib/ compiles them for the
# key tables, agent/ again with PH_CHECK_PROBE for the probes), and
# ${CMAKE_BINARY_DIR}/gen/check_types_inc.h, which check.h includes, is
# the declaration part of every one (from `#if defined(PH_CHECK_DECLARE)`
# to `#elif defined(PH_CHECK_PROBE)`) copied out. A new type needs no
# CMake edit, and an edit to a type's probe or key table recompiles that
# file alone: the header is rewritten only when a declaration changes.
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
set(_ph_open "#if defined(PH_CHECK_DECLARE)\n")
set(_ph_close "#elif defined(PH_CHECK_PROBE)\n")
string(LENGTH "${_ph_open}" _ph_open_len)
set(_ph_inc "/* Generated from checks/registry.h and checks/<name>.c by
 * cmake/check_types.cmake: the declaration part of every check type. */
#ifndef PH_CHECK_TYPES_INC_H
#define PH_CHECK_TYPES_INC_H
")
foreach(_l IN LISTS _ph_lines)
  string(REGEX REPLACE "^[\n \t]*X\\(([a-z0-9_]+),.*" "\\1" _n "${_l}")
  set(_f ${CMAKE_SOURCE_DIR}/checks/${_n}.c)
  list(APPEND PH_CHECK_TYPES ${_n})
  list(APPEND PH_CHECK_SRCS ${_f})
  if(NOT EXISTS ${_f})
    message(FATAL_ERROR "checks/registry.h names '${_n}' but ${_f} does not exist")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_f})
  file(READ ${_f} _src)
  string(FIND "${_src}" "${_ph_open}" _a)
  string(FIND "${_src}" "${_ph_close}" _b)
  if(_a EQUAL -1 OR _b EQUAL -1 OR _b LESS _a)
    message(FATAL_ERROR "${_f}: no declaration part (a line "
            "'#if defined(PH_CHECK_DECLARE)', then the struct, then "
            "'#elif defined(PH_CHECK_PROBE)')")
  endif()
  math(EXPR _s "${_a} + ${_ph_open_len}")
  math(EXPR _len "${_b} - ${_s}")
  string(SUBSTRING "${_src}" ${_s} ${_len} _decl)
  # Diagnostics point into the type's own file.
  string(SUBSTRING "${_src}" 0 ${_s} _before)
  string(REGEX MATCHALL "\n" _nl "${_before}")
  list(LENGTH _nl _line)
  math(EXPR _line "${_line} + 1")
  string(APPEND _ph_inc "#line ${_line} \"${_f}\"\n${_decl}")
endforeach()
string(APPEND _ph_inc "#endif\n")
if(NOT PH_CHECK_TYPES)
  message(FATAL_ERROR "no check types found in ${_ph_registry}")
endif()
set(PH_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
# Rewritten only when the text changes (no needless rebuilds), and
# written as it is (file(CONFIGURE) would expand @...@ in C text).
set(_ph_out ${PH_GEN_DIR}/check_types_inc.h)
set(_ph_old "")
if(EXISTS ${_ph_out})
  file(READ ${_ph_out} _ph_old)
endif()
if(NOT _ph_old STREQUAL _ph_inc)
  file(WRITE ${_ph_out} "${_ph_inc}")
endif()
