# Compiles collector/store/migrations/NNNN_name.sql into a C source at build time,
# so the binary carries its schema (no files to install or find).
#
# ph_embed_sql(<out.c> <dir> [<symbol>]) adds a custom command producing
# out.c, which defines <symbol>[] and n<symbol> (default ph_migrations:
# the sqlite set; the PostgreSQL set is ph_pg_migrations).
function(ph_embed_sql out dir)
  set(sym ph_migrations)
  if(ARGC GREATER 2)
    set(sym ${ARGV2})
  endif()
  file(GLOB sqls CONFIGURE_DEPENDS ${dir}/[0-9][0-9][0-9][0-9]_*.sql)
  list(SORT sqls)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DDIR=${dir} -DSYM=${sym}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${sqls} ${CMAKE_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "embedding SQL migrations")
endfunction()

# Script mode: cmake -DOUT=... -DDIR=... -P embed_sql.cmake
if(CMAKE_SCRIPT_MODE_FILE AND OUT)
  if(NOT SYM)
    set(SYM ph_migrations)
  endif()
  file(GLOB sqls ${DIR}/[0-9][0-9][0-9][0-9]_*.sql)
  list(SORT sqls)
  set(body "/* Generated from ${DIR} by cmake/embed_sql.cmake. */\n")
  string(APPEND body "#include \"migrations.h\"\n\nconst struct ph_migration ${SYM}[] = {\n")
  set(n 0)
  foreach(f ${sqls})
    get_filename_component(name ${f} NAME_WE)
    string(SUBSTRING ${name} 0 4 num)
    math(EXPR ver "${num}")
    file(READ ${f} sql)
    string(REPLACE "\\" "\\\\" sql "${sql}")
    string(REPLACE "\"" "\\\"" sql "${sql}")
    string(REPLACE "\n" "\\n\"\n\"" sql "${sql}")
    string(APPEND body "    {${ver}, \"${name}\",\n\"${sql}\"},\n")
    math(EXPR n "${n} + 1")
  endforeach()
  string(REGEX REPLACE "^ph_" "ph_n" nsym "${SYM}")
  string(APPEND body "};\nconst size_t ${nsym} = ${n};\n")
  file(WRITE ${OUT} "${body}")
endif()
