# mailout — hand-written Makefile. configure (autoconf) only writes config.mk
# and config.h; `make` runs it by itself when config.mk is missing.
#
#   make            build src/mailout
#   make deps       install build and test dependencies (apt-get)
#   make demo       send a sample message to a local scripted test server
#   make check      the whole test suite (sanitizer build, real Exim/Dovecot)
#   make fuzz       run each libFuzzer harness FUZZ_SECONDS (60) seconds
#   make bench      mailout vs msmtp: latency, throughput, memory (a table)
#   make install    DESTDIR, prefix, sysconfdir, systemdunitdir are honoured

ifneq ($(wildcard config.mk),)
include config.mk
endif

SRCS = $(sort $(wildcard src/*.c))
OBJS = $(SRCS:.c=.o)
SAN_OBJS = $(SRCS:src/%.c=src/san/%.o)

WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. -Isrc $(WARNINGS) $(CPPFLAGS) $(CFLAGS) \
	     $(GNUTLS_CFLAGS) $(INIH_CFLAGS) $(IDN2_CFLAGS)
ALL_LIBS = $(GNUTLS_LIBS) $(INIH_LIBS) $(IDN2_LIBS) $(LIBS)
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -fno-omit-frame-pointer -g -O1
# The sanitizer build uses clang, so make check compiles with both compilers.
SAN_CC = clang

# Fuzzing: each tests/fuzz/NAME.c (but fuzz.c and replay.c) is a
# libFuzzer harness over the sources without main.c. make fuzz runs each
# for FUZZ_SECONDS on its seeds; what it finds goes to tests/fuzz/build/.
# make check replays the seeds and tests/fuzz/regressions/NAME through
# replay-NAME, the same harness under replay.c with SAN_FLAGS.
FUZZ_SECONDS = 60
FUZZ_ARGS = -max_len=16384 -timeout=10 -rss_limit_mb=512
FUZZ_NAMES = $(basename $(notdir $(filter-out tests/fuzz/fuzz.c \
	tests/fuzz/replay.c,$(wildcard tests/fuzz/*.c))))
FUZZ_BINS = $(FUZZ_NAMES:%=tests/fuzz/build/fuzz-%)
REPLAY_BINS = $(FUZZ_NAMES:%=tests/fuzz/build/replay-%)
FUZZ_OBJS = $(filter-out %/main.o,$(SRCS:src/%.c=tests/fuzz/build/%.o)) \
	tests/fuzz/build/fuzz.o
REPLAY_OBJS = $(filter-out %/main.o,$(SAN_OBJS)) tests/fuzz/build/san/fuzz.o

# The packages each target needs are listed in tests/deps.list.
DEPS_GROUPS = build check demo bench fuzz dist
BATS = bats

.PHONY: all build deps demo check check-build check-binaries bench fuzz install uninstall \
	install-sendmail dist clean

all: config.mk
	@$(MAKE) --no-print-directory build

# autoconf alone: configure.ac uses no macro outside autoconf's own (it
# calls pkg-config by hand), so there is no aclocal.m4 to make and no
# automake to install.
config.mk: configure.ac config.mk.in
	autoheader
	autoconf
	./configure

build: src/mailout

src/mailout: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(ALL_LIBS)

src/%.o: src/%.c config.mk
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The same sources under ASan + UBSan, for make check.
src/mailout-san: $(SAN_OBJS)
	$(SAN_CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $(SAN_OBJS) $(ALL_LIBS)

src/san/%.o: src/%.c config.mk
	@mkdir -p src/san
	$(SAN_CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d)

deps:
	@tests/deps.sh install $(DEPS_GROUPS)

# deps-GROUP: fail at once, naming what is missing, before a target that
# needs those packages starts.
deps-%:
	@tests/deps.sh check $*

demo: deps-demo all
	@tests/demo.sh

# The suite runs as root (through sudo otherwise): the real Exim and
# Dovecot keep privileges only for root, and tests create users.
check: deps-build deps-check all
	@$(MAKE) --no-print-directory check-build
	@log=$$(mktemp); sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	$$sudo env MAILOUT=$(CURDIR)/src/mailout-san bash -o pipefail -c \
		'$(BATS) tests/ 2>&1 | tee "$$0"' "$$log"; status=$$?; \
	echo "$$(grep -c '^ok ' "$$log") passed, $$(grep -c '^not ok ' "$$log") failed"; \
	rm -f "$$log"; exit $$status

# Like all: on a fresh tree config.mk must exist before it is read.
check-build: config.mk
	@$(MAKE) --no-print-directory check-binaries

check-binaries: src/mailout src/mailout-san $(REPLAY_BINS)

# mailout against msmtp: latency through a delaying proxy to Exim (root),
# throughput and peak RSS to a discard sink; prints a Markdown table.
# BENCH_ARGS go to tests/bench/bench.py (e.g. --runs 3 --big-mb 100).
BENCH_ARGS =
bench: deps-bench all
	python3 tests/bench/bench.py --mailout src/mailout $(BENCH_ARGS)

tests/fuzz/build/%.o: src/%.c config.mk
	@mkdir -p tests/fuzz/build
	$(SAN_CC) $(ALL_CFLAGS) $(SAN_FLAGS) -fsanitize=fuzzer-no-link \
		-MMD -MP -c -o $@ $<

tests/fuzz/build/fuzz.o: tests/fuzz/fuzz.c config.mk
	@mkdir -p tests/fuzz/build
	$(SAN_CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

tests/fuzz/build/fuzz-%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(SAN_CC) $(ALL_CFLAGS) $(SAN_FLAGS) -fsanitize=fuzzer $(LDFLAGS) -MMD -MP \
		-o $@ $< $(FUZZ_OBJS) $(ALL_LIBS)

tests/fuzz/build/san/%.o: tests/fuzz/%.c config.mk
	@mkdir -p tests/fuzz/build/san
	$(SAN_CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

tests/fuzz/build/replay-%: tests/fuzz/build/san/%.o \
		tests/fuzz/build/san/replay.o $(REPLAY_OBJS)
	$(SAN_CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

-include $(wildcard tests/fuzz/build/*.d tests/fuzz/build/san/*.d)
.SECONDARY: $(FUZZ_OBJS) $(REPLAY_OBJS) \
	$(FUZZ_NAMES:%=tests/fuzz/build/san/%.o) tests/fuzz/build/san/replay.o

# Corpus growth goes to tests/fuzz/build/corpus-NAME, never to the seeds.
fuzz: deps-fuzz config.mk $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		mkdir -p tests/fuzz/build/corpus-$$n; \
		echo "make fuzz: $$n for $(FUZZ_SECONDS)s"; \
		tests/fuzz/build/fuzz-$$n $(FUZZ_ARGS) \
			-max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=tests/fuzz/build/$$n- \
			tests/fuzz/build/corpus-$$n tests/fuzz/corpus/$$n \
			|| exit 1; \
	done

# The example goes next to where mailout.conf belongs. mailout itself looks
# in the sysconfdir given to configure (config.h), so change it there.
# The flush timer's units go where systemd looks for packaged ones.
systemdunitdir = $(prefix)/lib/systemd/system
install: all
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1 \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(sysconfdir) \
		$(DESTDIR)$(systemdunitdir)
	install -m 755 src/mailout $(DESTDIR)$(bindir)/mailout
	install -m 644 man/mailout.1 $(DESTDIR)$(mandir)/man1/mailout.1
	install -m 644 man/mailout.conf.5 $(DESTDIR)$(mandir)/man5/mailout.conf.5
	install -m 644 etc/mailout.conf.example \
		$(DESTDIR)$(sysconfdir)/mailout.conf.example
	sed 's|@bindir@|$(bindir)|g' etc/mailout-flush.service.in \
		>$(DESTDIR)$(systemdunitdir)/mailout-flush.service
	chmod 644 $(DESTDIR)$(systemdunitdir)/mailout-flush.service
	install -m 644 etc/mailout-flush.timer \
		$(DESTDIR)$(systemdunitdir)/mailout-flush.timer

install-sendmail: install
	install -d $(DESTDIR)$(sbindir)
	ln -sf $(bindir)/mailout $(DESTDIR)$(sbindir)/sendmail
	ln -sf $(bindir)/mailout $(DESTDIR)$(bindir)/mailq

uninstall:
	rm -f $(DESTDIR)$(bindir)/mailout $(DESTDIR)$(mandir)/man1/mailout.1 \
		$(DESTDIR)$(mandir)/man5/mailout.conf.5 \
		$(DESTDIR)$(sysconfdir)/mailout.conf.example \
		$(DESTDIR)$(systemdunitdir)/mailout-flush.service \
		$(DESTDIR)$(systemdunitdir)/mailout-flush.timer
	for l in $(DESTDIR)$(sbindir)/sendmail $(DESTDIR)$(bindir)/mailq; do \
		[ "$$(readlink $$l)" = "$(bindir)/mailout" ] && rm -f $$l || true; \
	done

dist: config.mk
	rm -rf mailout-$(PACKAGE_VERSION)
	git archive --prefix=mailout-$(PACKAGE_VERSION)/ HEAD | tar xf -
	cp configure config.h.in mailout-$(PACKAGE_VERSION)/
	tar czf mailout-$(PACKAGE_VERSION).tar.gz mailout-$(PACKAGE_VERSION)
	rm -rf mailout-$(PACKAGE_VERSION)

clean:
	rm -f src/mailout src/mailout-san src/*.o src/*.d
	rm -rf src/san tests/fuzz/build
