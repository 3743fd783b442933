#!/usr/bin/env bash
# Install the Debian packages tracker needs, when missing and when we are root.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)  # prometheus + promtool: rule tests, scrape tests
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)  # alertmanager + amtool: notifier tests
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # headless screenshots of the HTML report in tests
command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)  # 结案报告 text
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "missing Debian packages: ${need[*]} — install them (sudo apt-get install ${need[*]}) and run again" >&2
  exit 1
fi
echo "==> installing Debian packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
