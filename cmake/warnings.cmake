# Warnings are errors in this project (bgpd Makefile list).
add_compile_options(
  -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
  -Wsign-compare -Wcast-qual -Wformat=2 -Wno-format-nonliteral)
