# dai_add_test(NAME name SOURCES a_test.cc ... LIBS lib ... [LABELS l ...] [DEFINITIONS d ...])
# One GoogleTest executable = one CTest test. Label "slow" for the slow tier. Every test gets
# DAI_SHARED_DATA, the path of ../shared/data (tests skip with a message when it is absent).
function(dai_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS;DEFINITIONS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${T_NAME} PRIVATE ${T_DEFINITIONS})
  # In the sanitizer build (the one `make test` runs) test code is compiled at -O0: it is built
  # once and run once, and GCC compiles it 15% faster than at -Og (healing_test's unity file:
  # 33.4 s -> 28.2 s user CPU); the code under test keeps -Og.
  if(DAI_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${T_NAME} PRIVATE -O0)
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set(labels unit ${T_LABELS})
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${labels}" TIMEOUT 300)
endfunction()

# dai_add_fuzzer(NAME name SOURCES f.cc LIBS ...): built only with -DDAI_FUZZ=ON (clang).
function(dai_add_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT DAI_FUZZ)
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
endfunction()

# dai_add_engine(NAME name SOURCES ...): a pure engine library; it may link only dai_core,
# so the build proves it does no I/O through other project code.
function(dai_add_engine)
  cmake_parse_arguments(E "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_library(engine_${E_NAME} STATIC ${E_SOURCES})
  target_include_directories(engine_${E_NAME} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(engine_${E_NAME} PUBLIC dai_core ${E_LIBS})
endfunction()
