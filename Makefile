# mailout — hand-written Makefile. configure (autoconf) only writes config.mk
# and config.h; `make` runs it by itself when config.mk is missing.
#
#   make            build src/mailout
#   make deps       install build and test dependencies (apt-get)
#   make demo       send a sample message to a local scripted test server
#   make check      the whole test suite (sanitizer build, real Exim/Dovecot)
#   make check-quick  the same but the tests that only wait for timeouts
#   make fuzz       run each libFuzzer harness FUZZ_SECONDS (60) seconds
#   make bench      mailout vs msmtp: latency, throughput, memory (a table)
#   make install    DESTDIR, prefix, sysconfdir, localstatedir, runstatedir,
#                   systemdunitdir, systemduserunitdir are honoured
#   make install-sendmail  also sendmail, mailq, newaliases and sendmail(8)
#   make dist       mailout-VERSION.tar.gz (from git HEAD, with configure)
#   make distcheck  build, test and install that tarball in a temporary place
#   make deb        the Debian packages mailout and mailout-mta, in build/deb
#   make check-package  install them on a fresh Debian 12 and send (root)

ifneq ($(wildcard config.mk),)
include config.mk
endif

SRCS = $(sort $(wildcard src/*.c src/*/*.c))
OBJS = $(SRCS:.c=.o)
SAN_OBJS = $(SRCS:src/%.c=src/san/%.o)

WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. -Isrc $(WARNINGS) $(CPPFLAGS) $(CFLAGS) \
	     $(GNUTLS_CFLAGS) $(INIH_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) \
	     $(IDN2_CFLAGS)
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

# The packages each target needs are listed in tests/deps.list. make deps
# installs these groups; make deb and make check-package install their own
# (deb, package) when they run.
DEPS_GROUPS = build check demo bench fuzz dist
BATS = bats

.PHONY: all build deps demo check check-quick check-run check-build \
	check-binaries bench fuzz install uninstall install-sendmail \
	uninstall-sendmail dist distcheck deb check-package clean distclean FORCE

all: config.mk
	@$(MAKE) --no-print-directory build

# autoconf alone: configure.ac uses no macro outside autoconf's own (it
# calls pkg-config by hand), so there is no aclocal.m4 to make and no
# automake to install. A release tarball ships configure and config.h.in,
# newer than configure.ac, so it builds without autoconf. A tree that was
# configured before is configured again with the same options.
configure: configure.ac
	autoconf
config.h.in: configure.ac
	autoheader
	@touch $@
config.mk: configure config.h.in config.mk.in
	if [ -x config.status ]; then ./config.status --recheck && \
		./config.status; else ./configure; fi

# The paths that must agree between the binary, its man pages and its
# units: the system configuration, the spool and the service socket. They
# come from configure (config.mk), and make's command line can override
# them: `make install prefix=/usr sysconfdir=/etc` rebuilds the binary,
# the pages and the units with /etc, so that what is installed reads what
# is installed. paths.h is rewritten only when a path changes, so that
# only what uses it is rebuilt; each make writes its own temporary file,
# since the suite's fuzz rows run make at once.
systemdunitdir = $(prefix)/lib/systemd/system
systemduserunitdir = $(prefix)/lib/systemd/user
spooldir = $(localstatedir)/spool/mailout
service_socket = $(runstatedir)/mailout/submit
paths.h: FORCE
	@tmp=$@.new.$$$$; \
	printf '%s\n' '/* Written by make from config.mk and its command line. */' \
		'#define BINDIR "$(bindir)"' \
		'#define SYSCONFDIR "$(sysconfdir)"' \
		'#define QUEUE_DIR_SYSTEM "$(spooldir)"' \
		'#define SERVICE_SOCKET "$(service_socket)"' >$$tmp; \
	if cmp -s $$tmp $@; then rm $$tmp; else mv $$tmp $@; fi
FORCE:

# Man pages and systemd units with this build's paths, in build/: the
# sources say @bindir@ (units) or define the strings mailout-conf,
# mailout-spool and mailout-socket (pages, which read as they are).
SUBST = sed -e 's|@bindir@|$(bindir)|g' -e 's|@sysconfdir@|$(sysconfdir)|g' \
	-e 's|@spooldir@|$(spooldir)|g' -e 's|@runstatedir@|$(runstatedir)|g' \
	-e 's|^\.ds mailout-conf .*|.ds mailout-conf $(sysconfdir)/mailout.conf|' \
	-e 's|^\.ds mailout-spool .*|.ds mailout-spool $(spooldir)|' \
	-e 's|^\.ds mailout-socket .*|.ds mailout-socket $(service_socket)|'
MAN_PAGES = build/man/mailout.1 build/man/mailout.conf.5
SYSTEM_UNITS = build/etc/mailout.socket build/etc/mailout.service \
	build/etc/mailout.timer
USER_UNITS = build/etc/mailout-flush.service build/etc/mailout-flush.timer
GENERATED = $(MAN_PAGES) $(SYSTEM_UNITS) $(USER_UNITS)

build: src/mailout $(GENERATED)

build/man/%: man/% paths.h
	@mkdir -p build/man
	@echo "SUBST $@"; $(SUBST) $< >$@
build/etc/%: etc/%.in paths.h
	@mkdir -p build/etc
	@echo "SUBST $@"; $(SUBST) $< >$@
build/etc/%: etc/% paths.h
	@mkdir -p build/etc
	@echo "SUBST $@"; $(SUBST) $< >$@

src/mailout: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(ALL_LIBS)

src/%.o: src/%.c config.mk | paths.h
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The same sources under ASan + UBSan, for make check.
src/mailout-san: $(SAN_OBJS)
	$(SAN_CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $(SAN_OBJS) $(ALL_LIBS)

src/san/%.o: src/%.c config.mk | paths.h
	@mkdir -p $(dir $@)
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
# Dovecot keep privileges only for root, and tests create users. Its files
# run at once, CHECK_JOBS at a time (bats --jobs, GNU parallel), and so do
# the tests of a file, but those that use its Exim (they take turns) or of
# a file whose setup_file says they share a server. Most of a test's time
# is waiting for a server or a timeout: twice the CPUs.
# check-quick leaves out the tests tagged slow: they wait for timeouts, or
# kill a queue or the service again and again.
CHECK_JOBS = $(shell echo $$((2 * $$(nproc 2>/dev/null || echo 1))))
BATS_FLAGS = --jobs $(CHECK_JOBS)

check: deps-build deps-check all
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory check-run

# The quick loop runs the plain build, four tests a CPU: its time goes to
# the harness's shells and servers, not to mailout, and 2 CPUs are busy.
check-quick: deps-build deps-check all
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory check-run CHECK_MAILOUT=src/mailout \
		BATS_FLAGS='--jobs $(QUICK_JOBS) --filter-tags !slow'
QUICK_JOBS = $(shell echo $$((4 * $$(nproc 2>/dev/null || echo 1))))
CHECK_MAILOUT = src/mailout-san

check-run:
	@log=$$(mktemp); sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	$$sudo env MAILOUT=$(CURDIR)/$(CHECK_MAILOUT) bash -o pipefail -c \
		'$(BATS) $(BATS_FLAGS) tests/ 2>&1 | tee "$$0"' "$$log"; status=$$?; \
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

tests/fuzz/build/%.o: src/%.c config.mk | paths.h
	@mkdir -p $(dir $@)
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

-include $(wildcard tests/fuzz/build/*.d tests/fuzz/build/*/*.d \
	tests/fuzz/build/san/*.d)
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

# The example goes next to where mailout.conf belongs. The system units
# (the service, its socket and its timer) and the user units (a user's own
# queue) go where systemd looks for packaged ones; none is enabled here.
install: all
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1 \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(sysconfdir) \
		$(DESTDIR)$(systemdunitdir) $(DESTDIR)$(systemduserunitdir)
	install -m 755 src/mailout $(DESTDIR)$(bindir)/mailout
	install -m 644 build/man/mailout.1 $(DESTDIR)$(mandir)/man1/mailout.1
	install -m 644 build/man/mailout.conf.5 $(DESTDIR)$(mandir)/man5/mailout.conf.5
	install -m 644 etc/mailout.conf.example \
		$(DESTDIR)$(sysconfdir)/mailout.conf.example
	install -m 644 $(SYSTEM_UNITS) $(DESTDIR)$(systemdunitdir)
	install -m 644 $(USER_UNITS) $(DESTDIR)$(systemduserunitdir)

# Cron, PHP and the rest call sendmail by its path, /usr/sbin/sendmail or
# /usr/lib/sendmail, whatever the prefix; mailq and newaliases are looked
# up in PATH. A sendmail that is not mailout's (another MTA's, which its
# package owns) is left alone: remove that MTA first.
sendmail_sbindir = /usr/sbin
sendmail_libdir = /usr/lib
SENDMAIL_LINKS = $(sendmail_sbindir)/sendmail $(sendmail_libdir)/sendmail \
	$(bindir)/mailq $(sbindir)/newaliases
SENDMAIL_PAGES = man8/sendmail.8 man1/mailq.1 man8/newaliases.8
install-sendmail: install
	@for l in $(SENDMAIL_LINKS:%=$(DESTDIR)%); do \
		if [ -e "$$l" ] || [ -L "$$l" ]; then \
			[ "$$(readlink "$$l")" = $(bindir)/mailout ] || { \
			echo "make install-sendmail: $$l is not mailout's;" \
				"remove it (or the MTA it belongs to) first" >&2; \
			exit 1; }; \
		fi; \
	done
	install -d $(sort $(dir $(SENDMAIL_LINKS:%=$(DESTDIR)%))) \
		$(DESTDIR)$(mandir)/man8
	for l in $(SENDMAIL_LINKS); do \
		ln -sf $(bindir)/mailout $(DESTDIR)$$l || exit 1; \
	done
	for p in $(SENDMAIL_PAGES); do \
		ln -sf ../man1/mailout.1 $(DESTDIR)$(mandir)/$$p || exit 1; \
	done

# Only the links that point to mailout go.
uninstall-sendmail:
	for l in $(SENDMAIL_LINKS); do \
		[ "$$(readlink $(DESTDIR)$$l)" != $(bindir)/mailout ] || \
			rm -f $(DESTDIR)$$l; \
	done
	for p in $(SENDMAIL_PAGES); do \
		[ "$$(readlink $(DESTDIR)$(mandir)/$$p)" != ../man1/mailout.1 ] || \
			rm -f $(DESTDIR)$(mandir)/$$p; \
	done

uninstall: uninstall-sendmail
	rm -f $(DESTDIR)$(bindir)/mailout $(DESTDIR)$(mandir)/man1/mailout.1 \
		$(DESTDIR)$(mandir)/man5/mailout.conf.5 \
		$(DESTDIR)$(sysconfdir)/mailout.conf.example \
		$(SYSTEM_UNITS:build/etc/%=$(DESTDIR)$(systemdunitdir)/%) \
		$(USER_UNITS:build/etc/%=$(DESTDIR)$(systemduserunitdir)/%)

# The release tarball, from git HEAD (uncommitted changes are not in it),
# with configure and config.h.in made here so that it builds without
# autoconf.
VERSION := $(shell sed -n '/^AC_INIT/{s/^[^,]*, *\[//;s/\].*//;p;}' configure.ac)
DIST = mailout-$(VERSION)
dist: deps-dist
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { \
		echo "make dist: needs the git repository (the tarball is made" \
			"from HEAD)" >&2; exit 1; }
	@[ -z "$$(git status --porcelain --untracked-files=no)" ] || \
		echo "make dist: uncommitted changes are not in the tarball" >&2
	rm -rf build/dist && mkdir -p build/dist
	git archive --prefix=$(DIST)/ HEAD | tar -x -C build/dist
	cd build/dist/$(DIST) && autoheader && autoconf && rm -rf autom4te.cache
	tar -c -C build/dist --owner=0 --group=0 --numeric-owner --sort=name \
		$(DIST) | gzip -9n >$(DIST).tar.gz
	rm -rf build/dist
	@echo "make dist: $(DIST).tar.gz"

# Unpack the tarball in a temporary directory, build it without autoconf,
# run its tests there, install and uninstall it (tests/distcheck.sh).
distcheck: dist
	tests/distcheck.sh $(DIST).tar.gz

# The Debian packages, built from the release tarball in build/deb, and
# lintian on them (warnings fail; debian/*.lintian-overrides say why each
# override is there).
deb:
	@tests/deps.sh install deb
	@$(MAKE) --no-print-directory dist
	rm -rf build/deb && mkdir -p build/deb
	tar -x -C build/deb -f $(DIST).tar.gz
	cd build/deb/$(DIST) && dpkg-buildpackage -us -uc
	lintian --fail-on error,warning --display-info build/deb/*.changes
	@ls build/deb/*.deb

# The packages installed on a fresh Debian 12 next to a relay, then sent
# through by root, an ordinary user and www-data (needs root; minutes).
check-package:
	@tests/deps.sh install package
	tests/check-package

# What configure wrote goes too (a release tarball's configure stays).
distclean: clean
	rm -f config.mk config.h config.status config.log

clean:
	rm -f src/mailout src/mailout-san src/*.o src/*.d src/*/*.o src/*/*.d \
		paths.h paths.h.new.*
	rm -rf src/san tests/fuzz/build build
