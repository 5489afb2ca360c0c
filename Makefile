# Build, test, demo and benchmark targets. Plain make, no generated build files.
#
#   make            build bin/gpbackup, bin/gprestore, bin/gpbackup_manager, bin/gpbackup_helper
#   make check      install missing Debian packages, build, run unit and end-to-end tests
#   make demo       build, start a throwaway PostgreSQL, back up and restore sample data
#   make check-asan / check-tsan   the test suite under ASan+UBSan / the worker pool under TSan

CC      ?= cc
PKGS    = libpq yaml-0.1 libzstd zlib libxxhash
WARN    = -Wall -Wextra -Werror -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
          -Wvla -Wcast-qual -Wwrite-strings -Wshadow -Wno-unused-parameter
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -Iinclude \
          $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -pthread
LDFLAGS = $(SAN) -pthread
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lreadline
BUILD   ?= build
BIN     = bin

COMMON_SRC   = $(wildcard common/*.c)
SNAPSHOT_SRC = $(wildcard snapshot/*.c)
BACKUP_SRC   = $(wildcard backup/*.c)
RESTORE_SRC  = $(wildcard restore/*.c)
LIB_SRC      = $(COMMON_SRC) $(SNAPSHOT_SRC) $(BACKUP_SRC) $(RESTORE_SRC)
LIB_OBJ      = $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC     = $(wildcard test/unit/*_test.c)
UNIT_BIN     = $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%)

all: $(BIN)/gpbackup $(BIN)/gprestore $(BIN)/gpbackup_manager $(BIN)/gpbackup_helper

$(BUILD)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libgpb.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: $(BUILD)/cmd/%.o $(BUILD)/libgpb.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/test/%_test: test/unit/%_test.c $(BUILD)/libgpb.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

unit-bins: $(UNIT_BIN)

deps:
	@ci/install-deps.sh

# The test suite: every unit test binary, then the end-to-end tests against a
# throwaway PostgreSQL cluster. Ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory all unit-bins
	@test/run-tests.sh $(BUILD) $(BIN)

check-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=bin-asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    all unit-bins
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 test/run-tests.sh build-asan bin-asan

check-tsan: deps
	@$(MAKE) --no-print-directory BUILD=build-tsan BIN=bin-tsan OPT="-O1 -g" SAN="-fsanitize=thread" \
	    all unit-bins
	@TSAN_OPTIONS="halt_on_error=1" E2E_ONLY="${E2E_ONLY}" test/run-tests.sh build-tsan bin-tsan

# gcc is the default compiler; clang must build the same code without warnings.
check-clang-build: deps
	@$(MAKE) --no-print-directory CC=clang BUILD=build-clang BIN=bin-clang all unit-bins

# The MPP suite (test/mpp) against a running Greenplum/Cloudberry cluster named
# by PGHOST, PGPORT and PGUSER (never part of check; see docs/mpp.md).
check-mpp: all
	@E2E_ONLY=1 E2E_DIR=test/mpp E2E_EXTERNAL=1 test/run-tests.sh $(BUILD) $(BIN)

# Speed against raw COPY and pg_dump/pg_restore (not part of check).
bench: deps
	@$(MAKE) --no-print-directory all
	@bench/bench.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@ci/demo.sh $(BIN)

clean:
	rm -rf build build-asan build-tsan build-clang bin bin-asan bin-tsan bin-clang

.PHONY: bench all check check-mpp check-asan check-tsan check-clang-build demo deps clean unit-bins
.SECONDARY:
