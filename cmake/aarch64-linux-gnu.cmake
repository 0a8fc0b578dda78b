# Cross-compiling faceedge for aarch64 Linux on an x86-64 Debian host (g++-aarch64-linux-gnu).
# Used by .ci/aarch64.sh; the Python headers and the module suffix come from the command line
# (Python_INCLUDE_DIR, PYTHON_MODULE_EXTENSION), since FindPython only sees the host interpreter.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Programs (the host Python, pybind11's helpers) come from the host; libraries and headers
# from the cross sysroot or explicit hints.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
