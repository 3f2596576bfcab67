# fuzz.mk - builds and runs the libFuzzer targets with clang (libclang-rt-14-dev).
#
# Called by the top-level "make fuzz" (long runs) and "make fuzz-smoke" (CI: a fixed number of
# runs per target); plain GNU make, outside automake, because the objects are built a second
# time with clang's fuzzer instrumentation.
#
#   make -f tests/fuzz/fuzz.mk SRCDIR=. [FUZZ_RUNS=n | FUZZ_TIME=s] run

SRCDIR ?= .
OUT ?= tests/fuzz/build
CC = clang
SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS = -g -O1 -std=gnu11 -pthread -D_GNU_SOURCE -DPACKAGE_VERSION=\"fuzz\" $(SAN) \
	-fsanitize=fuzzer-no-link \
	-I$(SRCDIR)/engine -I$(SRCDIR)/fs -I$(SRCDIR)/src \
	$(shell pkg-config --cflags fuse3 sqlite3 libiscsi-1 uuid inih libpq 2>/dev/null || pkg-config --cflags fuse3 sqlite3 inih libpq)
# inih: src/conf.c reads rsmfs.conf(5) with it (fuzz_config); libpq: the engine's catalog on
# PostgreSQL (engine/catalog_pg.c)
LDLIBS = $(shell pkg-config --libs fuse3 sqlite3 libiscsi uuid inih libpq) -lpthread -lm
TARGETS = fuzz_command fuzz_config fuzz_path fuzz_element_status
BINS = $(addprefix $(OUT)/,$(TARGETS))

ENGINE_OBJS = $(patsubst $(SRCDIR)/%.c,$(OUT)/%.o,$(wildcard $(SRCDIR)/engine/*.c))
# the tree of fs/ without its FUSE operations (ops.c, which defines fs_global as the target does)
TREE_OBJS = $(patsubst $(SRCDIR)/%.c,$(OUT)/%.o,$(filter-out %/ops.c,$(wildcard $(SRCDIR)/fs/*.c)))
HEADERS = $(wildcard $(SRCDIR)/engine/*.h $(SRCDIR)/fs/*.h $(SRCDIR)/src/*.h)

all: $(BINS)

$(OUT)/%.o: $(SRCDIR)/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/libengine.a: $(ENGINE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(OUT)/fuzz_command: $(OUT)/tests/fuzz/fuzz_command.o $(OUT)/fs/options.o
$(OUT)/fuzz_config: $(OUT)/tests/fuzz/fuzz_config.o $(OUT)/src/conf.o $(OUT)/libengine.a
$(OUT)/fuzz_element_status: $(OUT)/tests/fuzz/fuzz_element_status.o $(OUT)/libengine.a
$(OUT)/fuzz_path: $(OUT)/tests/fuzz/fuzz_path.o $(TREE_OBJS) $(OUT)/libengine.a

$(BINS):
	$(CC) $(SAN) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

# Each target runs from its seed corpus (copied, so the repository's seeds stay as they are)
# and prints its execution count; any crash, leak or UBSan report fails the run.
FUZZ_RUNS ?=
FUZZ_TIME ?= 60
LIMIT = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_TIME))

run: $(BINS)
	@for t in $(TARGETS); do \
		work=$(OUT)/corpus/$$t; mkdir -p $$work; \
		cp -n $(SRCDIR)/tests/fuzz/corpus/$$t/* $$work/ 2>/dev/null || true; \
		$(OUT)/$$t $(LIMIT) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix=$(OUT)/crash-$$t- $$work >$(OUT)/$$t.log 2>&1 || { \
			echo "fuzz: $$t FAILED"; tail -n 40 $(OUT)/$$t.log; exit 1; }; \
		runs=$$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(OUT)/$$t.log | tail -n1); \
		echo "fuzz: $$t ok: $${runs:-?} executions, no crash"; \
	done

.PHONY: all run
