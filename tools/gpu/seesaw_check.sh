#!/usr/bin/env bash
# Seesaw sparse MLA kernel on the device: the GPU test (default kernels, then every bf16 case on the
# seesaw kernel), the quick benchmark (contiguous and paged) and compute-sanitizer race/sync checks.
# Usage (device tool): bash tools/gpu/seesaw_check.sh   (results in $OUT/r1.tgz)
set -u
nvidia-smi --query-gpu=name --format=csv,noheader > $OUT/card.txt
cd plugins/sparse_mla/kernels
R=$OUT/r1; mkdir -p $R
timeout 200 ./gpu_check.sh $R test > $R/gpu_check_stdout.txt 2>&1; echo "rc=$?" >> $R/gpu_check_stdout.txt
NVCC="nvcc -gencode=arch=compute_90a,code=sm_90a -O3 -std=c++20 --expt-relaxed-constexpr -lineinfo -Iinclude -I../../common/cuda/include"
$NVCC bench/sparse_mla_bench.cu build/wgmma.o build/narrow.o build/seesaw.o build/simple.o build/check.o -o build/sparse_mla_bench > $R/bench_build.txt 2>&1
SMLA_TEST_KERNEL=seesaw timeout 150 ./build/sparse_mla_test > $R/test_seesaw_all.txt 2>&1; echo "rc=$?" >> $R/test_seesaw_all.txt
SMLA_QUICK=1 timeout 120 ./build/sparse_mla_bench $R/bench_quick.md > $R/bench_quick_log.txt 2>&1
SMLA_QUICK=1 SMLA_PAGED=1 timeout 90 ./build/sparse_mla_bench $R/bench_quick_paged.md > $R/bench_quick_paged_log.txt 2>&1
SMLA_TEST_FILTER="seesaw gen bf16 b2 h64" timeout 60 compute-sanitizer --tool racecheck ./build/sparse_mla_test > $R/racecheck.txt 2>&1
SMLA_TEST_FILTER="seesaw gen bf16 b7" timeout 60 compute-sanitizer --tool synccheck ./build/sparse_mla_test > $R/synccheck.txt 2>&1
cd $OUT && tar czf r1.tgz r1 card.txt && rm -rf r1
