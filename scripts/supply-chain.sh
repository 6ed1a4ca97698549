#!/usr/bin/env bash
# Supply chain check, run by ./test.sh: fails on a known-vulnerable NuGet or npm package of high or critical
# severity, direct or transitive, and says so when a package source could not answer (it does not fail then:
# a source without vulnerability data is not a vulnerability). Needs the solution restored and, for npm, the
# dashboard's node_modules (scripts/build-client.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

report=$(mktemp) errors=$(mktemp)
trap 'rm -f "$report" "$errors"' EXIT
if dotnet list LoraPipeline.sln package --vulnerable --include-transitive --format json >"$report" 2>"$errors"; then
  node - "$report" <<'JS' || status=1
const report = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const found = [];
for (const project of report.projects ?? []) {
  for (const framework of project.frameworks ?? []) {
    for (const pkg of [...(framework.topLevelPackages ?? []), ...(framework.transitivePackages ?? [])]) {
      for (const v of pkg.vulnerabilities ?? []) {
        found.push({ project: project.path.split('/').slice(-1)[0], id: pkg.id, version: pkg.resolvedVersion, severity: v.severity, url: v.advisoryurl });
      }
    }
  }
}
for (const problem of report.problems ?? []) console.log(`[supply-chain] NuGet could not check: ${problem.text}`);
const serious = found.filter(f => /^(high|critical)$/i.test(f.severity));
for (const f of found) console.log(`[supply-chain] ${f.severity}: ${f.id} ${f.version} (${f.project}) ${f.url}`);
(async () => {
  // a source whose service index has no VulnerabilityInfo resource answers "no advisories" for everything: say so
  const answering = [];
  for (const source of (report.sources ?? []).filter(s => /^https?:/.test(s))) {
    try {
      const index = await (await fetch(source, { signal: AbortSignal.timeout(20000) })).json();
      if ((index.resources ?? []).some(r => String(r['@type']).startsWith('VulnerabilityInfo'))) answering.push(source);
      else console.log(`[supply-chain] NuGet source ${source} serves no vulnerability data here: packages not checked against it`);
    } catch (e) {
      console.log(`[supply-chain] NuGet source ${source} did not answer (${e.message}): packages not checked against it`);
    }
  }
  console.log(`[supply-chain] NuGet: ${report.projects.length} projects, ${found.length} advisories, ${serious.length} high or critical` +
    (answering.length ? ` (vulnerability data from ${answering.join(', ')})` : ' (no source answered with vulnerability data)'));
  process.exit(serious.length > 0 ? 1 : 0);
})();
JS
else
  echo "[supply-chain] NuGet vulnerability data could not be read: $(tr '\n' ' ' <"$errors" | cut -c1-300)"
fi

for dir in src/Host/ClientApp tests/OpenAi.Node; do
  [ -f "$dir/package-lock.json" ] || continue
  if [ ! -d "$dir/node_modules" ]; then
    echo "[supply-chain] npm: $dir has no node_modules; not checked"
    continue
  fi
  audit=$(cd "$dir" && npm audit --audit-level=high --json 2>/dev/null)
  code=$?
  summary=$(node -e '
    let a; try { a = JSON.parse(process.argv[1]); } catch { console.log("unreadable"); process.exit(0); }
    if (a.error) { console.log(((a.message || a.error.code || a.error.summary || "an error") + "").slice(0, 200)); process.exit(0); }
    const v = a.metadata?.vulnerabilities ?? {};
    console.log(`ok ${v.high ?? 0} high, ${v.critical ?? 0} critical, ${v.total ?? 0} in all`);' "$audit")
  case "$summary" in
    ok*)
      echo "[supply-chain] npm audit $dir: ${summary#ok }"
      if [ "$code" -ne 0 ]; then status=1; (cd "$dir" && npm audit --audit-level=high 2>/dev/null | head -40); fi ;;
    *) echo "[supply-chain] npm audit $dir could not ask the registry ($summary); not checked" ;;
  esac
done

exit $status
