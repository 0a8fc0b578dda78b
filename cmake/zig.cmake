# Building faceedge with Zig's clang (the PyPI `ziglang` package) against an old glibc, so the
# wheels install wherever onnxruntime's manylinux_2_28 wheels do. Used by tools/build_wheels.sh:
#
#   -DCMAKE_TOOLCHAIN_FILE=cmake/zig.cmake -DFACEEDGE_ZIG=/path/to/ziglang/zig
#   -DFACEEDGE_ZIG_TARGET=aarch64-linux-gnu.2.28     (or x86_64-linux-gnu.2.28)
#
# Zig links only the glibc symbols that existed in the named version, and links its own libc++
# statically, so the module needs neither a new glibc nor a new libstdc++ on the board.
# An explicit -target also means a baseline CPU: the per-ISA kernel files still get their own
# flags from CMakeLists.txt and dispatch picks one at run time.

# try_compile projects re-read this file without the cache: hand them the two settings.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES FACEEDGE_ZIG FACEEDGE_ZIG_TARGET)
if(NOT FACEEDGE_ZIG OR NOT FACEEDGE_ZIG_TARGET)
  message(FATAL_ERROR "cmake/zig.cmake needs -DFACEEDGE_ZIG=<zig binary> and "
                      "-DFACEEDGE_ZIG_TARGET=<arch>-linux-gnu.<glibc version>")
endif()

string(REGEX MATCH "^[^-]+" _faceedge_zig_arch "${FACEEDGE_ZIG_TARGET}")
if(NOT _faceedge_zig_arch STREQUAL CMAKE_HOST_SYSTEM_PROCESSOR)
  set(CMAKE_SYSTEM_NAME Linux)
  set(CMAKE_SYSTEM_PROCESSOR ${_faceedge_zig_arch})
endif()

set(CMAKE_C_COMPILER "${FACEEDGE_ZIG}" cc -target ${FACEEDGE_ZIG_TARGET})
set(CMAKE_CXX_COMPILER "${FACEEDGE_ZIG}" c++ -target ${FACEEDGE_ZIG_TARGET})
# The host's GNU ar may not know the target's object format; zig carries llvm-ar and ranlib.
foreach(lang C CXX)
  set(CMAKE_${lang}_ARCHIVE_CREATE "\"${FACEEDGE_ZIG}\" ar qc <TARGET> <LINK_FLAGS> <OBJECTS>")
  set(CMAKE_${lang}_ARCHIVE_APPEND "\"${FACEEDGE_ZIG}\" ar q <TARGET> <LINK_FLAGS> <OBJECTS>")
  set(CMAKE_${lang}_ARCHIVE_FINISH "\"${FACEEDGE_ZIG}\" ranlib <TARGET>")
endforeach()

# Nothing is searched for in the target's sysroot: the Python headers and the module suffix come
# from the command line (Python_INCLUDE_DIR, PYTHON_MODULE_EXTENSION), programs from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# CMakeLists.txt's -march=armv8.2-a+dotprod would be read as a CPU name: the same ISA, zig's way.
set(FACEEDGE_NEONDOTPROD_FLAGS -mcpu=generic+v8_2a+dotprod)
