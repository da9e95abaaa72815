# Unity (jumbo) builds: each target's sources are compiled a few at a time as one translation
# unit, so the heavy headers (Boost.Beast, nlohmann/json, GoogleTest) are parsed once per batch
# instead of once per file. On the 2-core CI machines this is what keeps `make test`'s three
# builds well inside the time budget (cicd_test + security_test: 224 s -> 42 s measured).
# Off with -DDAI_UNITY=OFF (e.g. for faster incremental edits of a single file).
#
# A file whose file-local names (anonymous namespace) clash with another file of its target
# is compiled on its own: list it below (path relative to the repository root). Renaming the
# clashing helper is just as good; this list only keeps the build working either way.
set(DAI_UNITY_ALONE
  src/adapters/http/outbound_policy.cc
  src/adapters/runner/step_process.cc
  src/cli/cmd_k8s.cc
  src/cli/cmd_secrets.cc
  src/engines/cicd/analysis_test.cc
  src/engines/cost/forecast.cc
  src/engines/docs/openapi_doc.cc
  src/engines/logmine/log_line.cc
  src/engines/logmine/masker.cc
  src/engines/logmine/template_miner.cc
  src/engines/logmine/template_text.cc
  src/engines/vulnmatch/report_import.cc
  src/engines/vulnmatch/report_import_test.cc
  src/modules/incident_commander/runbook_procedures.cc
  src/modules/incident_commander/runbook_service.cc
  src/modules/logs/log_procedures.cc
  src/server/http_server.cc
  src/server/trpc.cc
  src/store/api_token_repository.cc
  src/store/job_repository.cc
  src/store/postgres/postgres_database.cc
  src/store/session_repository.cc
)
# Source file properties are scoped to the directory that creates the target: walk every
# target and mark the listed files in the target's own directory.
function(dai_unity_alone_in dir)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY" OR type STREQUAL "UTILITY")
      continue()
    endif()
    get_target_property(srcs ${t} SOURCES)
    foreach(src ${srcs})
      get_filename_component(abs "${src}" ABSOLUTE BASE_DIR "${dir}")
      file(RELATIVE_PATH rel "${CMAKE_SOURCE_DIR}" "${abs}")
      if(rel IN_LIST DAI_UNITY_ALONE)
        set_source_files_properties("${abs}" DIRECTORY "${dir}" PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
      endif()
    endforeach()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    dai_unity_alone_in("${sub}")
  endforeach()
endfunction()
if(CMAKE_UNITY_BUILD)
  dai_unity_alone_in("${CMAKE_SOURCE_DIR}")
endif()
