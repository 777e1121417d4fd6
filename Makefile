# The two commands of the README: `make demo` and `make test`. Both install
# what is missing first (make deps), then build.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
DEMO_OUT ?= runs/demo
DEMO_DATA ?= data/embedded/default
DEMO_FLAGS ?=

.PHONY: all deps build test test-all demo bench clean

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

clean:
	rm -rf $(BUILD)
