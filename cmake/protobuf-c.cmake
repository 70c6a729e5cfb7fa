# Compiles .proto files with protoc-c into the build tree.
find_program(PROTOC_C NAMES protoc-c REQUIRED)

# ph_protobuf_c(OUT_SRCS OUT_DIR proto_root file1.proto ...)
function(ph_protobuf_c out_srcs out_dir root)
  set(srcs "")
  foreach(rel ${ARGN})
    get_filename_component(dir ${rel} DIRECTORY)
    get_filename_component(name ${rel} NAME_WE)
    set(c ${out_dir}/${dir}/${name}.pb-c.c)
    set(h ${out_dir}/${dir}/${name}.pb-c.h)
    add_custom_command(
      OUTPUT ${c} ${h}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND ${PROTOC_C} --proto_path=${root} --c_out=${out_dir} ${root}/${rel}
      DEPENDS ${root}/${rel}
      COMMENT "protoc-c ${rel}")
    list(APPEND srcs ${c})
  endforeach()
  set(${out_srcs} ${srcs} PARENT_SCOPE)
endfunction()
