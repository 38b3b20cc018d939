# Third-party dependencies: Boost (JSON header-only, DLL on std::filesystem), CLI11, Catch2 2 or 3,
# and optionally the CUDA toolkit. Every one is a Debian/Ubuntu package; nothing is vendored.

find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)   # headers only: we never link a compiled Boost library
add_library(aiconf_boost INTERFACE)
target_include_directories(aiconf_boost SYSTEM INTERFACE ${Boost_INCLUDE_DIRS})
# Boost.DLL on std::filesystem (no Boost.Filesystem library on the GPU image); Boost.JSON header-only.
target_compile_definitions(aiconf_boost INTERFACE BOOST_DLL_USE_STD_FS BOOST_JSON_NO_LIB BOOST_CONTAINER_NO_LIB)

# CLI11 is header-only. AICONF_CLI11_ROOT points at an unpacked .deb on machines that lack the package.
find_path(AICONF_CLI11_INCLUDE_DIR CLI/CLI.hpp
  HINTS ${AICONF_CLI11_ROOT}/usr/include $ENV{AICONF_CLI11_ROOT}/usr/include)
if(NOT AICONF_CLI11_INCLUDE_DIR)
  message(FATAL_ERROR "CLI11 not found: install libcli11-dev (Debian/Ubuntu) or set AICONF_CLI11_ROOT to an unpacked copy")
endif()
add_library(aiconf_cli11 INTERFACE)
target_include_directories(aiconf_cli11 SYSTEM INTERFACE ${AICONF_CLI11_INCLUDE_DIR})

# Catch2: version 3 (GPU image) ships a config package; version 2.13 (Debian 12) is a single header.
if(BUILD_TESTING)
  find_package(Catch2 3 QUIET CONFIG)
  if(Catch2_FOUND)
    set(AICONF_CATCH2_MAJOR 3)
  else()
    find_path(AICONF_CATCH2_INCLUDE_DIR catch2/catch.hpp)
    if(NOT AICONF_CATCH2_INCLUDE_DIR)
      message(FATAL_ERROR "Catch2 not found: install catch2 (Debian) or Catch2 3")
    endif()
    set(AICONF_CATCH2_MAJOR 2)
  endif()
  message(STATUS "aiconf: Catch2 major version ${AICONF_CATCH2_MAJOR}")
endif()

# CUDA: mock layers and collectors only. Found here and in CI (compiles, nothing runs).
set(AICONF_HAVE_CUDA OFF)
if(AICONF_ENABLE_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Targets pick their architecture with explicit -gencode flags (sm_90a for wgmma).
    set(CMAKE_CUDA_ARCHITECTURES OFF)
    enable_language(CUDA)
    # CUDA targets inherit C++20 from CMAKE_CXX_STANDARD; CMake 3.25 does not know nvcc's flag for it.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    find_package(CUDAToolkit REQUIRED)
    set(AICONF_HAVE_CUDA ON)
  endif()
endif()
message(STATUS "aiconf: CUDA mock layers ${AICONF_HAVE_CUDA}")

# Hopper flags for every CUDA target of the project.
function(aiconf_cuda_target target)
  set_target_properties(${target} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-gencode=arch=compute_90a,code=sm_90a --expt-relaxed-constexpr -lineinfo>)
endfunction()
