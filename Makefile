# motcua: two commands do all the set-up.
#   make run   - virtualenv, install, migrate, demo data, start the worker and the server
#   make test  - install and run the whole test suite (lint included)

SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
DEMO_DOSSIERS ?= 20000
export MOTCUA_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test install lint format migrate demo bench messages

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Front-end libraries (Chart.js), pinned in package.json + package-lock.json; node_modules is never committed.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.package-lock.json

migrate: install
	@mkdir -p "$(MOTCUA_DATA_DIR)"
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py collectstatic --noinput -v0

demo: migrate
	$(BIN)/python manage.py setup_dev_pki
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py assistant_ingest --demo
	$(BIN)/python manage.py simulate_year --province 22 --dossiers $(DEMO_DOSSIERS) --if-missing

run: demo
	@echo
	@echo "motcua đang chạy tại  http://127.0.0.1:$(PORT)/"
	@echo "  Cổng dịch vụ công:  http://127.0.0.1:$(PORT)/"
	@echo "  Cán bộ (back office): http://127.0.0.1:$(PORT)/can-bo/"
	@echo "  API và tài liệu:    http://127.0.0.1:$(PORT)/api/docs"
	@echo "  Quản trị:           http://127.0.0.1:$(PORT)/admin/"
	@echo "  Trung tâm điều hành: http://127.0.0.1:$(PORT)/dieu-hanh/  (tinh.lanhdao; năm mô phỏng $(DEMO_DOSSIERS) hồ sơ)"
	@echo "  Thống kê công khai: http://127.0.0.1:$(PORT)/thong-ke/"
	@echo "  Trợ lý ảo pháp luật: http://127.0.0.1:$(PORT)/tro-ly-ao/"
	@echo "  Cán bộ đăng nhập bằng mật khẩu rồi mã xác thực 2 bước: ./manage.py totp_code <tên đăng nhập>"
	@$(BIN)/python manage.py demo_accounts
	@echo
	@PORT=$(PORT) WORKERS=$(WORKERS) scripts/run.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install lint
	MOTCUA_CONN_MAX_AGE=0 $(BIN)/pytest -n $${PYTEST_WORKERS:-2} --dist loadfile -q

bench: install
	$(BIN)/python bench/worktime.py
	$(BIN)/python bench/linked.py
	$(BIN)/python bench/sign.py
	$(BIN)/python bench/submit.py

# Refresh the English catalogue after changing user-facing text (needs GNU gettext); commit the .po and the .mo.
messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=bench --ignore="*/tests/*" --ignore=simulators --no-obsolete
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv
