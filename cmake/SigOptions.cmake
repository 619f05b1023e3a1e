# Project-wide options: warnings (an INTERFACE target every first-party target links PRIVATE)
# and sanitizers (applied globally so tests and generated code are instrumented too).

option(SIG_WARNINGS_AS_ERRORS "Treat warnings in first-party code as errors" ON)
option(SIG_FUZZ "Build the libFuzzer targets (clang; configure with -fsanitize=fuzzer-no-link)" OFF)
set(SIG_FUZZ_SECONDS 30 CACHE STRING "How long each fuzz target runs under ctest")
set(SIG_SANITIZER "" CACHE STRING "Sanitizers to build with: '', 'address,undefined' or 'thread'")

add_library(sig_warnings INTERFACE)
target_compile_options(sig_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wcast-align -Wformat=2 -Wimplicit-fallthrough
  -Wdouble-promotion
  $<$<CXX_COMPILER_ID:GNU>:-Wlogical-op -Wduplicated-cond -Wduplicated-branches
                           -Wmisleading-indentation -Wsuggest-override>
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>
  $<$<BOOL:${SIG_WARNINGS_AS_ERRORS}>:-Werror>)

if(SIG_SANITIZER)
  add_compile_options(-fsanitize=${SIG_SANITIZER} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${SIG_SANITIZER})
  if(SIG_SANITIZER STREQUAL "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)  # GCC 12 warns on every atomic_thread_fence; noise
  endif()
endif()

find_program(SIG_CCACHE ccache)
if(SIG_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${SIG_CCACHE}")
endif()
