# authcgi: one CGI executable, cgi-bin/auth.cgi.
#   make          build cgi-bin/auth.cgi
#   make test     install what the tests need, build, run every suite
#   make run      install what serving needs, build, serve on PORT
# See README.md.

PORT      ?= 5000
MODE      ?= cgi
SERVER    ?= lighttpd
PREFIX    ?= /usr/local
DESTDIR   ?=
STATE_DIR ?= $(CURDIR)/var
CC        ?= cc
CLANG     ?= clang
FUZZ_SECONDS ?= 30

PKGS     := sqlite3 libxcrypt uuid libcjson libsodium fcgi
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Werror -Wpedantic -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wvla
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS ?= -O2 -g
Q ?= @
ALL_CFLAGS := $(WARN) -D_DEFAULT_SOURCE -Ibuild/gen $(PKG_CFLAGS) $(CFLAGS)
LDHARDEN := -pie -Wl,-z,relro,-z,now
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

LIB_SRC := $(wildcard src/common/*.c src/http/*.c src/app/*.c \
	src/auth/*.c src/store/*.c)
HDRS    := $(wildcard src/*/*.h)
UNITS   := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

B := build
GEN := $(B)/gen/common_passwords.inc $(B)/gen/pages.inc
LIB_OBJ      := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRC))
LIB_OBJ_ASAN := $(patsubst src/%.c,$(B)/asan/%.o,$(LIB_SRC))

.PHONY: all deps test run check format fuzz clean unit-bins bench install

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
	$(Q)$(CC) $(ALL_CFLAGS) $(HARDEN) -c -o $@ $<

$(B)/asan/%.o: src/%.c $(HDRS) $(GEN)
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -c -o $@ $<

# The executable is linked statically (static-pie) by default: each CGI
# request is a process start, and dynamic linking of seven libraries is
# most of its cost. It is linked with musl (see "musl" below); failing
# that, with glibc and Debian's static archives, which exist for every
# library but cJSON, whose source comes from Debian's source package (see
# scripts/debian-src.sh). LINK=dynamic links the shared libraries instead;
# so does the build when the cJSON source cannot be fetched.
LINK ?= static
STATIC_LIBS := $(shell pkg-config --static --libs $(filter-out libcjson sqlite3,$(PKGS)) 2>/dev/null)
SQLITE_STATIC_LIBS := $(shell pkg-config --static --libs sqlite3 2>/dev/null)
CJSON_DIR := $(B)/cjson

$(CJSON_DIR)/src/cJSON.c:
	@scripts/debian-src.sh cjson libcjson-dev $(CJSON_DIR) cJSON.c || \
		echo "  (no cJSON source: linking the shared libcjson)"

$(B)/obj/cjson.o: $(CJSON_DIR)/src/cJSON.c Makefile
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g $(HARDEN) -c -o $@ $<

# SQLite, for the static executable, is compiled from Debian's own source
# (scripts/sqlite-src.sh: the version and patches of libsqlite3-dev) with
# only what this service uses. Debian's general-purpose build registers
# full-text search, R-tree, JSON and other extensions in every new
# connection and pre-allocates 20 cache pages; for a process that opens
# the database to read two rows, that was 40 of its 100 page faults. The
# options are SQLite's recommended ones for an embedded build; secure
# delete is kept from Debian's build. The lookaside allocator is small
# (64 slots of 128 bytes, 8 KiB): SQLite's default of 120 KiB is
# written through when a connection opens, a page fault per 4 KiB, while
# a short request's small allocations fit in 8 KiB (Debian's build has
# none: every one of them then goes to malloc).
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

$(SQLITE_DIR)/amalg/sqlite3.c:
	@scripts/sqlite-src.sh $(SQLITE_DIR) || \
		echo "  (no SQLite source: linking Debian's libsqlite3.a)"

$(B)/obj/sqlite3.o: $(SQLITE_DIR)/amalg/sqlite3.c Makefile
	@echo "  CC      $<"
	$(Q)$(CC) -O2 -g $(HARDEN) -I$(SQLITE_DIR)/amalg \
		$(SQLITE_OPTS) -c -o $@ $<

# The static executable is built with musl, the C library made for static
# linking: glibc's start-up alone (probing the CPU, self-relocation, its
# allocator's set-up) cost a CGI process more than all of SQLite's work
# for a profile request (see README, Performance). The four libraries
# Debian ships only for glibc are built with musl from Debian's source
# packages (scripts/musl-libs.sh). Without musl-tools or those sources the
# static executable is linked with glibc, as below.
MUSL_CC  ?= musl-gcc
# The link, with musl-gcc's specs changed for a static PIE (musl-libs.sh).
MUSL_LD  ?= gcc -specs $(MUSL)/static-pie.specs
MUSL     := $(B)/musl
MUSL_OBJ := $(patsubst src/%.c,$(MUSL)/obj/%.o,$(LIB_SRC) src/main.c)
MUSL_CFLAGS := $(WARN) -D_DEFAULT_SOURCE -Ibuild/gen -I$(MUSL)/include \
	-I$(CJSON_DIR)/src -I$(SQLITE_DIR)/amalg $(CFLAGS) \
	-fstack-protector-strong -fPIE

$(MUSL)/obj/%.o: src/%.c $(HDRS) $(GEN) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC musl $<"
	$(Q)$(MUSL_CC) $(MUSL_CFLAGS) -c -o $@ $<

$(MUSL)/obj/sqlite3.o: $(SQLITE_DIR)/amalg/sqlite3.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC musl $<"
	$(Q)$(MUSL_CC) -O2 -g -fstack-protector-strong -fPIE \
		-I$(SQLITE_DIR)/amalg $(SQLITE_OPTS) -c -o $@ $<

$(MUSL)/obj/cjson.o: $(CJSON_DIR)/src/cJSON.c Makefile
	@mkdir -p $(dir $@)
	@echo "  CC musl $<"
	$(Q)$(MUSL_CC) -O2 -g -fstack-protector-strong -fPIE \
		-c -o $@ $<

$(MUSL)/auth.cgi: $(MUSL_OBJ) $(MUSL)/obj/sqlite3.o $(MUSL)/obj/cjson.o \
		$(MUSL)/.done
	@echo "  LD      cgi-bin/auth.cgi (static, musl)"
	$(Q)$(MUSL_LD) -static-pie -Wl,-z,relro,-z,now -o $@ $(MUSL_OBJ) \
		$(MUSL)/obj/sqlite3.o $(MUSL)/obj/cjson.o -L$(MUSL)/lib \
		-lcrypt -luuid -lsodium -lfcgi

ifeq ($(LINK),static)
cgi-bin/auth.cgi: $(LIB_OBJ) $(B)/obj/main.o $(CJSON_DIR)/src/cJSON.c \
		$(SQLITE_DIR)/amalg/sqlite3.c scripts/musl-libs.sh
	@if [ -f $(CJSON_DIR)/src/cJSON.c ] && \
	    [ -f $(SQLITE_DIR)/amalg/sqlite3.c ] && \
	    { scripts/musl-libs.sh $(MUSL) || \
	      { echo "  (no musl libraries: linking with glibc)"; false; }; }; \
	then \
		$(MAKE) -s --no-print-directory $(MUSL)/auth.cgi && \
		cp $(MUSL)/auth.cgi $@; \
	elif [ -f $(CJSON_DIR)/src/cJSON.c ]; then \
		sqlite="$(SQLITE_STATIC_LIBS)"; \
		if [ -f $(SQLITE_DIR)/amalg/sqlite3.c ]; then \
			$(MAKE) -s --no-print-directory $(B)/obj/sqlite3.o && \
			sqlite="$(B)/obj/sqlite3.o -lm"; \
		fi; \
		$(MAKE) -s --no-print-directory $(B)/obj/cjson.o && \
		echo "  LD      $@ (static)" && \
		$(CC) -static-pie -Wl,-z,relro,-z,now -o $@ $(LIB_OBJ) \
		    $(B)/obj/main.o $(B)/obj/cjson.o $$sqlite $(STATIC_LIBS) \
		    2>&1 | grep -v "statically linked applications requires\|: in function " >&2; \
		test -x $@ && [ $@ -nt $(B)/obj/main.o ]; \
	else \
		echo "  LD      $@ (dynamic)"; \
		$(CC) $(LDHARDEN) -o $@ $(LIB_OBJ) $(B)/obj/main.o $(PKG_LIBS); \
	fi
else
cgi-bin/auth.cgi: $(LIB_OBJ) $(B)/obj/main.o
	@echo "  LD      $@ (dynamic)"
	$(Q)$(CC) $(LDHARDEN) -o $@ $^ $(PKG_LIBS)
endif

# A dynamically linked twin of auth.cgi: valgrind cannot follow the heap
# of a static one.
$(B)/dyn/auth.cgi: $(LIB_OBJ) $(B)/obj/main.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@ (dynamic, for valgrind)"
	$(Q)$(CC) $(LDHARDEN) -o $@ $^ $(PKG_LIBS)

# A bare CGI for the benchmark, linked statically with the default C
# library (glibc): the reference of the service's targets.
$(B)/bench/bare.cgi: tests/bench/bare.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=c11 -Wall -Wextra -Werror -Wpedantic -O2 $(HARDEN) \
		$(if $(filter static,$(LINK)),-static-pie,-pie) \
		-Wl,-z,relro,-z,now -o $@ $<

# A bare FastCGI responder for the benchmark: what lighttpd and the
# protocol cost without the app. Its processes live long, so how it is
# linked does not matter: dynamically, with Debian's libfcgi.
$(B)/bench/bare-fcgi: tests/bench/bare-fcgi.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) -std=c11 -Wall -Wextra -Werror -Wpedantic -O2 $(HARDEN) \
		$(LDHARDEN) -o $@ $< -lfcgi

# The same bare CGI linked with musl, like auth.cgi (when the musl build
# is there): what a process start costs without glibc's.
$(B)/bench/bare-musl.cgi: tests/bench/bare.c cgi-bin/auth.cgi
	@mkdir -p $(dir $@)
	$(Q)if [ -f $(MUSL)/static-pie.specs ]; then \
		echo "  CC musl $@"; \
		$(MUSL_CC) -std=c11 -Wall -Wextra -Werror -Wpedantic -O2 \
		    -fstack-protector-strong -fPIE -c -o $@.o $< && \
		$(MUSL_LD) -static-pie -Wl,-z,relro,-z,now -o $@ $@.o; \
	else \
		echo "  (no musl build: no musl bare CGI)"; rm -f $@; \
	fi

$(B)/asan/auth.cgi: $(LIB_OBJ_ASAN) $(B)/asan/main.o
	@echo "  LD asan $@"
	$(Q)$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

# Unit tests: one cmocka binary per layer, plain and sanitized.
$(B)/unit/%: tests/unit/%.c $(LIB_OBJ) $(HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(LIB_OBJ) $(PKG_LIBS) -lcmocka

$(B)/unit-asan/%: tests/unit/%.c $(LIB_OBJ_ASAN) $(HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD asan $@"
	$(Q)$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Isrc -o $@ $< $(LIB_OBJ_ASAN) \
		$(PKG_LIBS) -lcmocka

unit-bins: $(addprefix $(B)/unit/,$(UNITS)) \
	$(addprefix $(B)/unit-asan/,$(UNITS))

# libFuzzer targets (clang), one per parser plus a whole request.
FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -I$(B)/gen \
	-std=c11 -D_DEFAULT_SOURCE $(PKG_CFLAGS)
$(B)/fuzz/%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(HDRS) $(GEN)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(PKG_LIBS)

fuzz-bins: $(addprefix $(B)/fuzz/,$(FUZZERS))

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz-bins
	@tests/fuzz/run.sh $(B)/fuzz $(FUZZ_SECONDS) $(FUZZERS)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all $(B)/asan/auth.cgi $(B)/dyn/auth.cgi \
		unit-bins fuzz-bins
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh

run:
	@scripts/deps.sh $(if $(filter apache,$(SERVER)),run-apache,run)
	@$(MAKE) --no-print-directory all
	@MODE=$(MODE) SERVER=$(SERVER) scripts/serve.sh "$(PORT)" "$(STATE_DIR)"

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(B)/bench/bare.cgi \
		$(B)/bench/bare-musl.cgi $(B)/bench/bare-fcgi
	@scripts/bench.sh

install: all
	@scripts/install.sh "$(PREFIX)" "$(DESTDIR)"

check: all
	tests/checks.sh

format:
	clang-format -i src/*.c src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c

clean:
	rm -rf $(B) cgi-bin/auth.cgi
