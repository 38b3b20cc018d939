# Helpers for plugins, GPU tests and benchmarks.
if(NOT DEFINED AICONF_EXPORTS_MAP)
  set(AICONF_EXPORTS_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin_exports.map)
endif()

# aiconf_add_plugin(<name> SOURCES ... [LINK ...]): a MODULE library named aiconf_<name>.so that
# lands in the build's plugin directory and installs to <prefix>/lib/aiconf/plugins.
function(aiconf_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  set(target aiconf_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE aiconf::plugin_sdk ${ARG_LINK})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME aiconf_${name}
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${AICONF_BUILD_PLUGIN_DIR})
  # Only the versioned entry is exported (version script), everything else stays inside.
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${AICONF_EXPORTS_MAP}" "LINKER:--no-undefined")
  install(TARGETS ${target} LIBRARY DESTINATION ${AICONF_INSTALL_PLUGIN_DIR})
  set_property(GLOBAL APPEND PROPERTY AICONF_PLUGIN_TARGETS ${target})
endfunction()

# aiconf_add_gpu_test(<name> SOURCES ... [LINK ...]): a GPU test program. It must exit 77 when no
# CUDA device is present, which ctest reports as skipped; label "gpu" selects or excludes them.
# Tests and benchmarks get aiconf_bench_util: aiconf_plugins/gpu_program.h (CUDA check, the skip).
function(aiconf_add_gpu_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  aiconf_cuda_target(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} aiconf_bench_util CUDA::cudart)
  if(BUILD_TESTING)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS gpu SKIP_RETURN_CODE 77)
  endif()
endfunction()

# aiconf_add_gpu_bench(<name> SOURCES ... [LINK ...]): a benchmark program (never a test).
function(aiconf_add_gpu_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  aiconf_cuda_target(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} aiconf_bench_util CUDA::cudart)
endfunction()
