# authcgi: one CGI executable, cgi-bin/auth.cgi.
#   make          build cgi-bin/auth.cgi, linked with Debian's shared libraries
#   make check    build, then the unit and CGI suites (about a minute)
#   make test     install what the tests need, build, run every suite
#   make lint     cppcheck and clang-format
#   make run      install what serving needs, build, serve on PORT
#                 (DB=postgres: on a throwaway PostgreSQL cluster)
#   make static   build/static/auth.cgi, one static file (musl); the first
#                 time it fetches Debian's source packages of its libraries
#   make install  install under DESTDIR PREFIX (make install-static: the
#                 static executable instead)
#   make bench    how fast (not part of make test)
#   make deb      build/deb/authcgi_VERSION_ARCH.deb, the Debian package
#   make test-arm cross-build for arm64 and armhf (the default and the
#                 static executable, the package), and run the CGI suite
#                 against each executable under QEMU (not part of make test)
# See README.md.

CC         ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g
CPPFLAGS   ?=
LDFLAGS    ?=
PREFIX     ?= /usr/local
DESTDIR    ?=
CLANG      ?= clang
MUSL_CC    ?= musl-gcc

PORT      ?= 5000
MODE      ?= cgi
SERVER    ?= lighttpd
DB        ?= sqlite
STATE_DIR ?= $(CURDIR)/var
FUZZ_SECONDS ?= 30
Q ?= @

# The libraries, by pkg-config name, and the Debian package of each .pc.
# libpq: the PostgreSQL backend (src/store/pg.c). The executable loads it
# when it opens such a database (dlopen): linked only where called
# directly (--as-needed: the store's tests). PG=0 builds without it (no
# libpq-dev needed: the ARM builds, whose libpq-dev Debian cannot install
# beside the build machine's).
PG ?= 1
PKGS := sqlite3 libxcrypt uuid libcjson libsodium fcgi liboath libqrencode \
	$(if $(filter 1,$(PG)),libpq)
PKG_DEBS := sqlite3=libsqlite3-dev libxcrypt=libcrypt-dev uuid=uuid-dev \
	libcjson=libcjson-dev libsodium=libsodium-dev fcgi=libfcgi-dev \
	liboath=liboath-dev libqrencode=libqrencode-dev libpq=libpq-dev
deb_of = $(foreach p,$1,$(patsubst $p=%,%,$(filter $p=%,$(PKG_DEBS))))

# Goals that install packages with scripts/deps.sh and then run make
# again: at this level they need no library. Any other goal asks
# pkg-config now, and a missing .pc file stops the build here.
WRAPPERS := deps test check lint run bench static install-static fuzz \
	format clean deb test-arm
ifneq ($(filter-out $(WRAPPERS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(shell command -v $(firstword $(PKG_CONFIG))),)
$(error $(PKG_CONFIG) not found: apt-get install pkg-config (or: make deps))
endif
PKG_MISSING := $(strip $(foreach p,$(PKGS),$(if $(shell $(PKG_CONFIG) --exists $p && echo y),,$p)))
ifneq ($(PKG_MISSING),)
$(error $(PKG_CONFIG) finds no $(PKG_MISSING): apt-get install $(call deb_of,$(PKG_MISSING)) (or: make deps))
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   := -Wl,--as-needed $(shell $(PKG_CONFIG) --libs $(PKGS))
endif

# Always on, whatever CFLAGS and LDFLAGS say: the warnings of STYLE.md and
# the hardening of a release build.
WARN := -std=c11 -Wall -Wextra -Werror -Wpedantic -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wvla
HARDEN_CFLAGS  := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 \
	-fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

B := build
GEN := $(B)/gen/common_passwords.inc $(B)/gen/pages.inc
# CONFIG_FILE: a settings file read when it exists (README, Settings),
# e.g. make CONFIG_FILE=/etc/authcgi/authcgi.conf; none by default.
CONFIG_FILE ?=
ALL_CPPFLAGS = -D_DEFAULT_SOURCE -I$(B)/gen $(PKG_CFLAGS) $(CPPFLAGS) \
	$(if $(CONFIG_FILE),-DAUTHCGI_CONFIG_FILE='"$(CONFIG_FILE)"')

LIB_SRC := $(wildcard src/common/*.c src/http/*.c src/app/*.c \
	src/auth/*.c src/store/*.c)
HDRS    := $(wildcard src/*/*.h)
UNITS   := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
LIB_OBJ      := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRC))
LIB_OBJ_ASAN := $(patsubst src/%.c,$(B)/asan/%.o,$(LIB_SRC))

# The goals that run make again (static, check, test, run, bench, fuzz)
# build with one job per core unless make was given -j.
SUBMAKE = $(MAKE) --no-print-directory \
	$(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))

.PHONY: all deps test check lint run bench static install install-static \
	fuzz fuzz-bins unit-bins format clean deb test-arm

all: cgi-bin/auth.cgi

deps:
	@scripts/deps.sh build

# The common-password list, compiled in (see data/README.md).
$(B)/gen/common_passwords.inc: data/common-passwords.txt scripts/gen-common.sh
	@mkdir -p $(dir $@)
	scripts/gen-common.sh data/common-passwords.txt > $@.tmp
	@mv $@.tmp $@

# The pages and their style sheet, compiled in (src/app/pages/README).
$(B)/gen/pages.inc: $(wildcard src/app/pages/*.html src/app/pages/*.css) \
		scripts/gen-pages.sh
	@mkdir -p $(dir $@)
	scripts/gen-pages.sh src/app/pages > $@.tmp
	@mv $@.tmp $@

$(B)/obj/%.o: src/%.c $(HDRS) $(GEN) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(WARN) $(HARDEN_CFLAGS) $(ALL_CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/asan/%.o: src/%.c $(HDRS) $(GEN) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	$(Q)$(CC) $(WARN) $(ALL_CPPFLAGS) -DAUTHCGI_TEST_CLOCK $(CFLAGS) -O1 $(SAN) -c -o $@ $<

cgi-bin/auth.cgi: $(LIB_OBJ) $(B)/obj/main.o
	@echo "  LD      $@"
	$(Q)$(CC) $(HARDEN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The same executable in $(B): with B=build/cross/ARCH and a cross
# compiler, a build for a board (make test-arm, scripts/test-arm.sh).
$(B)/auth.cgi: $(LIB_OBJ) $(B)/obj/main.o
	@echo "  LD      $@"
	$(Q)$(CC) $(HARDEN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/asan/auth.cgi: $(LIB_OBJ_ASAN) $(B)/asan/main.o
	@echo "  LD asan $@"
	$(Q)$(CC) $(SAN) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Unit tests: one cmocka binary per layer, plain and sanitized.
$(B)/unit/%: tests/unit/%.c $(LIB_OBJ) $(HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(WARN) $(ALL_CPPFLAGS) -Isrc $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(LIB_OBJ) $(PKG_LIBS) -lcmocka

$(B)/unit-asan/%: tests/unit/%.c $(LIB_OBJ_ASAN) $(HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD asan $@"
	$(Q)$(CC) $(WARN) $(ALL_CPPFLAGS) -Isrc $(CFLAGS) -O1 $(SAN) $(LDFLAGS) \
		-o $@ $< $(LIB_OBJ_ASAN) $(PKG_LIBS) -lcmocka

unit-bins: $(addprefix $(B)/unit/,$(UNITS)) \
	$(addprefix $(B)/unit-asan/,$(UNITS))

# libFuzzer targets (clang), one per parser plus a whole request.
FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -I$(B)/gen \
	-std=c11 -D_DEFAULT_SOURCE
$(B)/fuzz/%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(HDRS) $(GEN)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_SRC) $(PKG_LIBS)

fuzz-bins: $(addprefix $(B)/fuzz/,$(FUZZERS))

# ------------------------------------------------------------ make static
#
# One static file for small devices: a static PIE linked with musl, the C
# library made for static linking (glibc's start-up alone cost a CGI
# process more than SQLite's work for a profile request: see
# doc/PERFORMANCE.md). Debian ships libxcrypt, libuuid, libsodium and
# libfcgi for glibc only, and no static cJSON: they are built with musl
# from Debian's source packages of the installed -dev packages
# (scripts/musl-libs.sh, scripts/debian-src.sh; the download needs the
# network once, then stays in build/). So is SQLite (scripts/sqlite-src.sh),
# compiled with only what this service uses: Debian's general-purpose
# build registers full-text search, R-tree, JSON and other extensions in
# every new connection and pre-allocates 20 cache pages, 40 of a profile
# request's 100 page faults. The options are SQLite's recommended ones for
# an embedded build; secure delete is kept from Debian's build; memsys5
# serves the arena a CGI process gives SQLite (src/store/store.c). The
# lookaside allocator is small (64 slots of 128 bytes): SQLite's default
# 120 KiB would be written through, a page fault per 4 KiB, at every open.
MUSL   := $(B)/musl
STATIC := $(B)/static
CJSON_DIR  := $(B)/cjson
SQLITE_DIR := $(B)/sqlite
SQLITE_OPTS := -D_HAVE_SQLITE_CONFIG_H -DSQLITE_THREADSAFE=0 \
	-DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0 \
	-DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_MAX_EXPR_DEPTH=0 \
	-DSQLITE_OMIT_DECLTYPE -DSQLITE_OMIT_DEPRECATED \
	-DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_OMIT_SHARED_CACHE \
	-DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_JSON -DSQLITE_USE_ALLOCA \
	-DSQLITE_DEFAULT_LOOKASIDE=128,64 -DSQLITE_DEFAULT_PCACHE_INITSZ=0 \
	-DSQLITE_TEMP_STORE=3 -DSQLITE_MAX_MMAP_SIZE=0 -DSQLITE_SECURE_DELETE \
	-DSQLITE_ENABLE_MEMSYS5
# The second factor's libraries (liboath, libqrencode) are not built with
# musl: the static executable has no second factor (an account that uses
# one cannot log in with it: 503), as it has no PostgreSQL.
STATIC_CPPFLAGS := -DAUTHCGI_NO_TOTP \
	$(if $(CONFIG_FILE),-DAUTHCGI_CONFIG_FILE='"$(CONFIG_FILE)"')
# musl has no _FORTIFY_SOURCE; the rest of the hardening is kept. The
# link uses musl-gcc's specs changed for a static PIE (musl-libs.sh).
STATIC_HARDEN := -fstack-protector-strong -fPIE
STATIC_LD = gcc -specs $(MUSL)/static-pie.specs -static-pie \
	-Wl,-z,relro,-z,now
STATIC_OBJ := $(patsubst src/%.c,$(STATIC)/obj/%.o,$(LIB_SRC) src/main.c)
# What the objects include: musl's builds of the libraries, cJSON, SQLite.
STATIC_SRC := $(MUSL)/.done $(CJSON_DIR)/src/cJSON.c $(SQLITE_DIR)/amalg/sqlite3.c

static:
	@scripts/deps.sh static
	@$(SUBMAKE) $(STATIC)/auth.cgi
	@echo "  static executable: $(STATIC)/auth.cgi (make install-static installs it)"

$(MUSL)/.done: scripts/musl-libs.sh scripts/debian-src.sh
	@scripts/musl-libs.sh $(MUSL)

$(CJSON_DIR)/src/cJSON.c: scripts/debian-src.sh
	@scripts/debian-src.sh cjson libcjson-dev $(CJSON_DIR) cJSON.c

$(SQLITE_DIR)/amalg/sqlite3.c: scripts/sqlite-src.sh scripts/debian-src.sh
	@scripts/sqlite-src.sh $(SQLITE_DIR)

$(STATIC)/obj/%.o: src/%.c $(HDRS) $(GEN) Makefile | $(STATIC_SRC)
	@mkdir -p $(dir $@)
	@echo "  CC musl $<"
	$(Q)$(MUSL_CC) $(WARN) $(STATIC_HARDEN) -D_DEFAULT_SOURCE -I$(B)/gen \
		-I$(MUSL)/include -I$(CJSON_DIR)/src -I$(SQLITE_DIR)/amalg \
		$(STATIC_CPPFLAGS) $(CFLAGS) -c -o $@ $<

# After musl's libraries: a cross build's compiler reads the specs that
# musl-libs.sh writes (make test-arm).
$(STATIC)/sqlite3.o: $(SQLITE_DIR)/amalg/sqlite3.c Makefile | $(MUSL)/.done
	@mkdir -p $(dir $@)
	@echo "  CC musl $<"
	$(Q)$(MUSL_CC) -O2 -g $(STATIC_HARDEN) -I$(SQLITE_DIR)/amalg \
		$(SQLITE_OPTS) -c -o $@ $<

$(STATIC)/cjson.o: $(CJSON_DIR)/src/cJSON.c Makefile | $(MUSL)/.done
	@mkdir -p $(dir $@)
	@echo "  CC musl $<"
	$(Q)$(MUSL_CC) -O2 -g $(STATIC_HARDEN) -c -o $@ $<

$(STATIC)/auth.cgi: $(STATIC_OBJ) $(STATIC)/sqlite3.o $(STATIC)/cjson.o \
		$(MUSL)/.done
	@echo "  LD      $@ (static, musl)"
	$(Q)$(STATIC_LD) -o $@ $(STATIC_OBJ) $(STATIC)/sqlite3.o \
		$(STATIC)/cjson.o -L$(MUSL)/lib -lcrypt -luuid -lsodium -lfcgi

# ------------------------------------------------------------- make bench

# A bare CGI, linked statically with glibc: the reference of the
# service's targets.
$(B)/bench/bare.cgi: tests/bench/bare.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=c11 -Wall -Wextra -Werror -Wpedantic -O2 \
		$(HARDEN_CFLAGS) -static-pie -Wl,-z,relro,-z,now -o $@ $<

# The same bare CGI linked with musl, as make static links.
$(B)/bench/bare-musl.cgi: tests/bench/bare.c $(MUSL)/.done
	@mkdir -p $(dir $@)
	@echo "  CC musl $@"
	$(Q)$(MUSL_CC) -std=c11 -Wall -Wextra -Werror -Wpedantic -O2 \
		$(STATIC_HARDEN) -c -o $@.o $<
	$(Q)$(STATIC_LD) -o $@ $@.o

# A bare FastCGI responder: what lighttpd and the protocol cost without
# the app.
$(B)/bench/bare-fcgi: tests/bench/bare-fcgi.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=c11 -Wall -Wextra -Werror -Wpedantic -O2 \
		$(HARDEN_CFLAGS) $(HARDEN_LDFLAGS) -o $@ $< -lfcgi

# ----------------------------------------------------- the wrapper goals

test:
	@scripts/deps.sh test
	@$(SUBMAKE) all $(B)/asan/auth.cgi unit-bins \
		fuzz-bins $(STATIC)/auth.cgi
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh all

check:
	@scripts/deps.sh check
	@$(SUBMAKE) all $(addprefix $(B)/unit/,$(UNITS))
	@tests/run.sh quick

lint:
	@scripts/deps.sh lint
	@tests/lint.sh

# DB=postgres serves on a throwaway PostgreSQL cluster, AUTHCGI_DB from
# the environment on the database it names.
run:
	@scripts/deps.sh $(if $(filter apache,$(SERVER)),run-apache,run)
	@$(if $(filter postgres,$(DB)),scripts/deps.sh run-postgres)
	@$(SUBMAKE) all
	@MODE=$(MODE) SERVER=$(SERVER) DB=$(DB) scripts/serve.sh "$(PORT)" "$(STATE_DIR)"

bench:
	@scripts/deps.sh bench
	@$(SUBMAKE) all $(STATIC)/auth.cgi \
		$(B)/bench/bare.cgi $(B)/bench/bare-musl.cgi $(B)/bench/bare-fcgi
	@scripts/bench.sh
	@scripts/bench-reset.sh
	@scripts/bench-gate.sh

fuzz:
	@scripts/deps.sh fuzz
	@$(SUBMAKE) fuzz-bins
	@tests/fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) $(FUZZERS)

install: all
	@scripts/install.sh "$(PREFIX)" "$(DESTDIR)" cgi-bin/auth.cgi

install-static: static
	@scripts/install.sh "$(PREFIX)" "$(DESTDIR)" $(STATIC)/auth.cgi

# The Debian package, built from a copy of the checkout (debian/,
# scripts/deb.sh); its version is debian/changelog's. DEB_ARCH=arm64 (or
# armhf) cross-builds it for a board.
DEB_ARCH ?=
deb:
	@scripts/deps.sh deb
	@$(if $(DEB_ARCH),scripts/deps.sh arm)
	@scripts/deb.sh $(if $(DEB_ARCH),-a $(DEB_ARCH)) $(B)/deb

# Cross builds for arm64 and armhf, the default and the static one, the
# CGI suite against each under QEMU, and the package of each architecture.
test-arm:
	@scripts/deps.sh arm
	@scripts/test-arm.sh

format:
	clang-format -i src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c

clean:
	rm -rf $(B) cgi-bin/auth.cgi
