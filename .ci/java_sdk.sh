#!/usr/bin/env bash
# Baidu's unmodified Java SDK against faceedge serve over TLS on port 443 (tests/test_java_sdk.py),
# from this clone, with ../shared/clients beside it. Installs the JDK and Debian's org.json and
# slf4j jars when they are missing (root, Debian's packages). A skip is a failure here.
# Run from an activated venv with the project's test dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
if ! command -v javac >/dev/null || ! command -v keytool >/dev/null \
   || [ ! -e /usr/share/java/com.android.json.jar ] || [ ! -e /usr/share/java/slf4j-api.jar ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends default-jdk-headless libandroid-json-java \
    libslf4j-java >/dev/null
fi
FACEEDGE_CLIENTS="${FACEEDGE_CLIENTS:-$(pwd)/../shared/clients}" FACEEDGE_REQUIRE_JAVA_SDK=1 \
  python -m pytest -q -p no:cacheprovider tests/test_java_sdk.py
echo "java_sdk: done in $(( $(date +%s) - start )) s"
