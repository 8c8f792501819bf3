# berth: build, test, lint, fuzz, bench and demo. `make help` lists targets.
#
# Everything builds into $(BUILD); `SAN=1` adds AddressSanitizer and
# UndefinedBehaviorSanitizer, `SAN=thread` ThreadSanitizer instead. The
# library code under lib/ becomes one static archive that the programs, the
# tests and the benches link.

BUILD ?= build
CC ?= cc
SAN ?= 0
FUZZ_SECONDS ?= 20
# `make test` runs every fuzz target as a smoke pass, shorter than `make fuzz`.
TEST_FUZZ_SECONDS ?= 10

PKGS := libcurl libcjson yaml-0.1 openssl libwebsockets
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wformat=2 -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) -Ilib $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lpthread
ifeq ($(SAN),1)
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SAN),thread)
ALL_CFLAGS += -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif

LIB_SRC := $(sort $(wildcard lib/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
LIB_A := $(BUILD)/libberth.a

# Each program is its directory's main.c plus an archive of the rest of the
# directory, which the unit tests link too.
SIDECAR_SRC := $(filter-out sidecar/main.c sidecar/drainclient/%,\
	$(sort $(wildcard sidecar/*.c sidecar/*/*.c sidecar/*/*/*.c)))
SIDECAR_A := $(BUILD)/libsidecar.a
OPERATOR_SRC := $(filter-out operator/main.c,$(sort $(wildcard operator/*.c)))
OPERATOR_A := $(BUILD)/liboperator.a
PLUGIN_SRC := $(filter-out plugin/main.c,$(sort $(wildcard plugin/*.c)))
PLUGIN_A := $(BUILD)/libplugin.a
PROGRAMS := $(BUILD)/berth-drain $(if $(wildcard sidecar/main.c),$(BUILD)/berth-sidecar) \
	$(if $(wildcard operator/main.c),$(BUILD)/berth-operator) \
	$(if $(wildcard plugin/main.c),$(BUILD)/kubectl-berth)
APP_A := $(if $(SIDECAR_SRC),$(SIDECAR_A)) $(if $(OPERATOR_SRC),$(OPERATOR_A)) \
	$(if $(PLUGIN_SRC),$(PLUGIN_A))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_SRC := $(sort $(wildcard tests/integration/test_*.c))
INTEG_BIN := $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
# Shell tests hold no C of ours: they run once, in the plain pass.
INTEG_SH := $(sort $(wildcard tests/integration/test_*.sh))
TEST_SUPPORT := $(wildcard tests/support/*.c)
# A test links every support file: it is rebuilt when any of their headers
# changes (its own .d names only the last source compiled).
TEST_SUPPORT_H := $(wildcard tests/support/*.h)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
BENCH_SH := $(filter-out bench/run.sh,$(sort $(wildcard bench/*.sh)))
# Programs a bench script (and the e2e tests) run, not benches of their own.
BENCH_HELPERS := $(BUILD)/bench/roll_metadata $(BUILD)/bench/balance_move
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
C_FILES := $(LIB_SRC) $(wildcard lib/*/*.h operator/*.[ch] plugin/*.[ch] sidecar/*.[ch] sidecar/*/*.[ch] sidecar/*/*/*.[ch] tests/*/*.[ch] bench/*.[ch])

.PHONY: all archives deps ground test test-unit test-integration test-e2e test-asan test-tsan lint fuzz bench demo manifests images clean help install krew

all: $(LIB_A) $(PROGRAMS) $(UNIT_BIN) $(INTEG_BIN) $(BENCH_BIN)

# The library and program archives without any program: what fuzz targets link.
archives: $(LIB_A) $(APP_A)

help:
	@echo "make deps              install the Debian packages berth needs"
	@echo "make all               build the library, programs and tests"
	@echo "make test              everything CI runs: unit and integration tests, plain"
	@echo "                       and under ASan+UBSan, the tests of threaded code under"
	@echo "                       TSan, plus bounded fuzzing"
	@echo "make test-unit         unit tests only (no ground)"
	@echo "make test-integration  integration tests on the real ground"
	@echo "make test-e2e          end-to-end tests on real pods (a real node; needs root)"
	@echo "make test-asan         unit and integration tests under ASan+UBSan"
	@echo "make test-tsan         the tests of threaded code under ThreadSanitizer"
	@echo "make fuzz              run every libFuzzer target for FUZZ_SECONDS each"
	@echo "make lint              clang-format check, include cycles and cppcheck"
	@echo "make bench             print the performance figures"
	@echo "make demo              the main job on a local ground"
	@echo "make manifests         regenerate manifests/, the chart's CRDs and docs/cr-reference.md"
	@echo "make images            build the berth-operator, berth-sidecar and (for the test"
	@echo "                       ground) berth-kafka images with buildah"
	@echo "make install           put kubectl-berth (the kubectl plugin) in PREFIX/bin"
	@echo "                       (PREFIX=/usr/local; DESTDIR for packaging)"
	@echo "make krew              kubectl-berth's krew manifest and archive in BUILD/krew"
	@echo "                       (KREW_URI: where the archive is published; default file://)"

deps:
	@bash tests/ground/deps.sh

PREFIX ?= /usr/local

# kubectl finds plugins on PATH by their name: `kubectl berth ...`, and
# their shell completion by kubectl_complete-<name>.
install: $(BUILD)/kubectl-berth
	install -D -m 0755 $(BUILD)/kubectl-berth $(DESTDIR)$(PREFIX)/bin/kubectl-berth
	install -D -m 0755 plugin/kubectl_complete-berth $(DESTDIR)$(PREFIX)/bin/kubectl_complete-berth

# kubectl-berth as a krew plugin: the manifest berth.yaml and the archive it
# names (docs/kubectl-berth.md, Installing with krew).
KREW_URI ?=

krew: $(BUILD)/kubectl-berth
	bash tools/krew.sh $(BUILD)/kubectl-berth $(BUILD)/krew '$(KREW_URI)'

# Sidecar sources name each other's headers by their path under sidecar/.
$(BUILD)/obj/sidecar/%.o: ALL_CFLAGS += -Isidecar

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SIDECAR_A): $(SIDECAR_SRC:%.c=$(BUILD)/obj/%.o)
	rm -f $@
	ar rcs $@ $^

$(OPERATOR_A): $(OPERATOR_SRC:%.c=$(BUILD)/obj/%.o)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/berth-sidecar: $(BUILD)/obj/sidecar/main.o $(if $(SIDECAR_SRC),$(SIDECAR_A)) $(LIB_A)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/berth-operator: $(BUILD)/obj/operator/main.o $(if $(OPERATOR_SRC),$(OPERATOR_A)) $(LIB_A)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The kubectl plugin reads the operator's names for its resource (-I.).
$(BUILD)/obj/plugin/%.o: ALL_CFLAGS += -I.

$(PLUGIN_A): $(PLUGIN_SRC:%.c=$(BUILD)/obj/%.o)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/kubectl-berth: $(BUILD)/obj/plugin/main.o $(if $(PLUGIN_SRC),$(PLUGIN_A)) $(LIB_A)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The preStop drain client: libc only, linked statically against musl so it
# runs in any broker image.
$(BUILD)/berth-drain: $(wildcard sidecar/drainclient/*.[ch])
	bash sidecar/drainclient/build.sh $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(TEST_SUPPORT) $(TEST_SUPPORT_H) $(APP_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -I. -Isidecar $(LDFLAGS) $< $(TEST_SUPPORT) $(APP_A) $(LIB_A) $(CHECK_LIBS) $(LDLIBS) -o $@

$(BUILD)/tests/integration/%: tests/integration/%.c $(TEST_SUPPORT) $(TEST_SUPPORT_H) $(APP_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -I. -Isidecar $(LDFLAGS) $< $(TEST_SUPPORT) $(APP_A) $(LIB_A) $(CHECK_LIBS) $(LDLIBS) -o $@

$(BUILD)/bench/%: bench/%.c $(OPERATOR_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I. $(LDFLAGS) $< $(OPERATOR_A) $(LIB_A) $(LDLIBS) -o $@

# The targets below start with `deps`, then build in a sub-make so that
# pkg-config sees the packages deps has just installed. The sub-make builds
# on every CPU unless make was started with its own -j.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
SUBMAKE = $(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))
ASAN := BUILD=build/asan SAN=1

test-unit: deps
	@$(SUBMAKE) all
	@BERTH_DRAIN_BIN=$(CURDIR)/$(BUILD)/berth-drain bash tests/run-check.sh unit $(UNIT_BIN)

test-integration: deps
	@$(SUBMAKE) all
	@bash tests/integration/run.sh $(INTEG_BIN) $(INTEG_SH)

# Real pods: berth's images on a real kubelet + containerd node of the ground.
E2E_SH := $(sort $(wildcard tests/e2e/test_*.sh))

test-e2e: deps
	@$(SUBMAKE) $(BENCH_HELPERS) $(BUILD)/kubectl-berth
	@BERTH_BUILD=$(BUILD) bash tests/e2e/run.sh $(E2E_SH)

# ThreadSanitizer over the tests of the code that starts threads: unit
# tests of lib/kube (lease, events, watch), lib/http's streams and the
# sidecar's run and program, and of the tests that start threads around
# them; integration tests of lib/kube's informer, lease and events on the
# ground. The operator's threads (controller.c, main.c) run only in
# test_operator, an integration test too long to repeat under TSan.
TSAN := BUILD=build/tsan SAN=thread
TSAN_UNIT := $(addprefix build/tsan/tests/unit/,test_drain_client test_http_drain_api \
	test_http_server test_kafka_tls test_kafka_tls_client_cert test_kube_cache test_kube_events \
	test_kube_lease test_kube_portforward test_kube_watch_exec_cert test_kube_watch_retry \
	test_kube_workqueue test_sidecar_broker_link test_sidecar_drain_redpanda test_sidecar_run \
	test_util_metrics)
TSAN_INTEG := $(addprefix build/tsan/tests/integration/,test_kube_disrupt test_kube_events \
	test_kube_lease test_kube_watch)
TSAN_BUILD := $(TSAN_UNIT) $(TSAN_INTEG) build/tsan/berth-drain build/tsan/berth-sidecar

test-tsan: deps
	@$(SUBMAKE) $(TSAN) $(TSAN_BUILD)
	@BERTH_DRAIN_BIN=$(CURDIR)/build/tsan/berth-drain bash tests/run-check.sh unit-tsan $(TSAN_UNIT)
	@bash tests/integration/run.sh $(TSAN_INTEG)

test-asan: deps
	@$(SUBMAKE) $(ASAN) all
	@bash tests/run-check.sh unit-asan $(UNIT_BIN:$(BUILD)/%=build/asan/%)
	@bash tests/integration/run.sh $(INTEG_BIN:$(BUILD)/%=build/asan/%)

# The whole suite in one pass over the ground: plain and sanitizer builds
# share one control plane and one Kafka cluster.
test: deps
	@$(SUBMAKE) lint
	@$(SUBMAKE) all
	@$(SUBMAKE) $(ASAN) all
	@$(SUBMAKE) $(TSAN) $(TSAN_BUILD)
	@BERTH_DRAIN_BIN=$(CURDIR)/$(BUILD)/berth-drain \
		bash tests/run-check.sh unit $(UNIT_BIN) $(UNIT_BIN:$(BUILD)/%=build/asan/%)
	@BERTH_DRAIN_BIN=$(CURDIR)/build/tsan/berth-drain bash tests/run-check.sh unit-tsan $(TSAN_UNIT)
	@bash tests/integration/run.sh $(INTEG_BIN) $(INTEG_SH) $(INTEG_BIN:$(BUILD)/%=build/asan/%) \
		$(TSAN_INTEG)
	@BERTH_BUILD=$(BUILD) bash tests/e2e/run.sh $(E2E_SH)
	@bash tests/fuzz/run.sh $(TEST_FUZZ_SECONDS) $(FUZZ_SRC)

fuzz: deps
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_SRC)

lint: deps
	clang-format --dry-run -Werror $(C_FILES)
	bash tools/check-includes.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem --inline-suppr -Ilib -Isidecar \
		$(LIB_SRC) $(SIDECAR_SRC) $(wildcard sidecar/main.c sidecar/drainclient/*.c operator/*.c)

bench: deps
	@$(SUBMAKE) all
	@BERTH_BUILD=$(BUILD) bash bench/run.sh $(filter-out $(BENCH_HELPERS),$(BENCH_BIN)) $(BENCH_SH)

# The demo's programs run in images, which compile berth themselves.
demo: deps
	@bash tests/demo.sh

# Generated install files: charts/berth/crds/ and manifests/berth.yaml from
# the chart and manifests/crd/, docs/cr-reference.md from the CRD schema.
manifests: deps
	@bash tools/generate.sh

images: deps
	@bash tools/images.sh build

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(SIDECAR_SRC:%.c=$(BUILD)/obj/%.d) $(OPERATOR_SRC:%.c=$(BUILD)/obj/%.d) \
	$(PLUGIN_SRC:%.c=$(BUILD)/obj/%.d) $(BUILD)/obj/plugin/main.d $(BUILD)/obj/operator/main.d
