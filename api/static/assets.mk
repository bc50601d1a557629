# Front-end assets for the policykg pages: npm packages into an ignored folder,
# their distribution files into api/static/vendor/ (also ignored). Nothing
# third-party is committed; the service serves every file itself (no CDN).
#
#   make -f api/static/assets.mk          # from the repository root (the Makefile's `assets` target)
#
# Idempotent: when the lock file has not changed and the vendored files exist,
# this does nothing (no network).
STATIC  ?= api/static
NPM_DIR ?= build/npm
VENDOR  ?= $(STATIC)/vendor
NPM     ?= npm
YASGUI   = $(NPM_DIR)/node_modules/@zazuko/yasgui

VENDORED = $(VENDOR)/yasgui/yasgui.min.js $(VENDOR)/yasgui/yasgui.min.css $(VENDOR)/yasgui/LICENSE

.PHONY: all clean
all: $(VENDORED)

$(NPM_DIR)/.installed: $(STATIC)/package.json $(STATIC)/package-lock.json
	@mkdir -p $(NPM_DIR)
	cp $(STATIC)/package.json $(STATIC)/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && $(NPM) ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

$(VENDOR)/yasgui/yasgui.min.js: $(NPM_DIR)/.installed
	@mkdir -p $(@D)
	cp $(YASGUI)/build/$(@F) $@

$(VENDOR)/yasgui/yasgui.min.css: $(NPM_DIR)/.installed
	@mkdir -p $(@D)
	cp $(YASGUI)/build/$(@F) $@

# The package ships no LICENSE file; record where the files came from and their licence.
$(VENDOR)/yasgui/LICENSE: $(NPM_DIR)/.installed
	@mkdir -p $(@D)
	node -e 'const p=require("./$(YASGUI)/package.json"); console.log(p.name+" "+p.version+" — licence: "+(p.license||"see package")+" — "+(p.homepage||""))' > $@

clean:
	rm -rf $(NPM_DIR) $(VENDOR)
