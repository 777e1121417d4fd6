# The two commands of the README: `make demo` and `make test`. Both install
# what is missing first (make deps), then build.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DEMO_OUT ?= runs/demo
DEMO_DATA ?= data/embedded/default
DEMO_FLAGS ?=

.PHONY: all deps build test test-all demo bench clean fuzz test-sanitize

all: build

deps:
	@bash scripts/install_deps.sh

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

# Everything but the tests labelled slow (those run with `make test-all`).
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

test-all: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The paper's study on the embedded dataset (generated on first use), then
# where the report is. Re-running resumes: finished steps are reused.
demo: build
	@$(BUILD)/bin/avr study --data-root $(DEMO_DATA) --out $(DEMO_OUT) $(DEMO_FLAGS)

bench: build
	@for b in $(BUILD)/bench/*; do echo "== $$b"; $$b || exit 1; done

# libFuzzer targets of every reader (fuzz/, clang, ASan+UBSan), each run
# FUZZ_SECONDS, or until FUZZ_RUNS inputs if that comes first, in FUZZ_WORKERS processes
# each; the figures of a run are in the README ("Fuzzing").
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 120
FUZZ_RUNS ?=
FUZZ_WORKERS ?= 1
FUZZ_TARGETS ?= wav image split_csv json state_dict checkpoint video

$(FUZZ_BUILD)/CMakeCache.txt:
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DAVR_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++

fuzz: deps $(FUZZ_BUILD)/CMakeCache.txt
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) $(addprefix --target fuzz_,$(FUZZ_TARGETS))
	@RUNS=$(FUZZ_RUNS) WORKERS=$(FUZZ_WORKERS) bash fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The test suite (without the tests labelled slow) built with ASan + UBSan in
# SANITIZE_BUILD; a full build takes ~30+ min on a 2-core machine.
SANITIZE_BUILD ?= build-sanitize

$(SANITIZE_BUILD)/CMakeCache.txt:
	@cmake -S . -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAVR_SANITIZE=ON \
	  -DAVR_BUILD_BENCH=OFF

test-sanitize: deps $(SANITIZE_BUILD)/CMakeCache.txt
	@cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	@cd $(SANITIZE_BUILD) && \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp:print_suppressions=0 \
	  ctest --output-on-failure -j $(JOBS) -LE slow

clean:
	rm -rf $(BUILD)
