#!/usr/bin/env bash
# The README's main command from a clean clone: set up .venv (scripts/bootstrap.sh), then the whole
# story on examples/fraud-detection.
#
#   validate -> graph -> render every environment -> check -> keys init -> roles -> release create
#   -> promote dev -> staging -> (prod refused: soak, approvals) -> approvals by two role holders
#   -> prod with the clock advanced past the soak -> a second release to prod -> rollback
#   -> status, history -> audit verify, inclusion proof checked offline, export verified offline
#   (both against the ledger's public key as the auditor's trust anchor).
#
# Runs in a temporary copy of the example (never inside the repository) that is deleted at the end;
# the GitOps target is a git repository there, one commit per deployment. Times are given with --at,
# so the story is the same on every run. Exit 0 when every step did what it should.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bash "$repo/scripts/bootstrap.sh"
bt="$repo/.venv/bin/buttress"

work="$(mktemp -d "${TMPDIR:-/tmp}/buttress-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
bp="$work/fraud-detection"
cp -R "$repo/examples/fraud-detection" "$bp"
rm -rf "$bp/.buttress"
deploy="$work/deploy"
git -c init.defaultBranch=main init -q "$deploy"
ledger=(-C "$bp")
gitops=(--gitops "$deploy")

step() { printf '\n==> %s\n' "$*"; }
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
expect_refused() {
  # A gate must refuse (exit 1); anything else ends the demo with that code.
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -ne 1 ]; then
    echo "demo: expected a refusal (exit 1), got exit $rc" >&2
    exit 1
  fi
}

step "validate the blueprint"
"$bt" validate "$bp"

step "module graph of prod"
"$bt" graph "$bp" --env prod --format mermaid

step "render every environment"
"$bt" render "$bp" --out "$work/build" --at 2026-12-01

step "check every environment against the controls and Rego policies"
"$bt" check "$bp" --at 2026-12-01

step "alice creates the ledger's signing key and becomes its admin"
"$bt" keys init "${ledger[@]}" --as alice --at 2026-12-01T08:00:00Z
step "alice grants the approver roles"
"$bt" roles grant bob release-manager "${ledger[@]}" --as alice --at 2026-12-01T08:01:00Z
"$bt" roles grant sec security "${ledger[@]}" --as alice --at 2026-12-01T08:02:00Z

step "carol creates release 1 (renders, checks, signs)"
rel1="$("$bt" release create "$bp" --as carol --at 2026-12-01T09:00:00Z --format json | json_field id)"
echo "release $rel1"
"$bt" release verify "$rel1" "${ledger[@]}" --as auditor --at 2026-12-01T09:01:00Z

step "frank promotes $rel1 to dev, then staging"
"$bt" promote "$rel1" --to dev "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-01T09:05:00Z
"$bt" promote "$rel1" --to staging "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-01T09:10:00Z

step "prod too early: refused (not soaked 24h in staging, no approvals)"
expect_refused "$bt" promote "$rel1" --to prod "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-01T10:00:00Z

step "bob (release-manager) and sec (security) approve $rel1 for prod"
"$bt" approve "$rel1" --env prod "${ledger[@]}" --as bob --at 2026-12-01T11:00:00Z
approval="$("$bt" approve "$rel1" --env prod "${ledger[@]}" --as sec --at 2026-12-01T11:05:00Z)"
echo "$approval"
approval_entry="$(sed -n 's/.*(audit entry \([0-9][0-9]*\)).*/\1/p' <<<"$approval")"

step "a day later, inside the change window: prod"
"$bt" promote "$rel1" --to prod "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-02T10:00:00Z

step "release 2: more scorer replicas, through dev, staging, approvals and prod"
sed -i 's/replicas: {min: 3, max: 40}/replicas: {min: 4, max: 40}/' "$bp/blueprint.yaml"
rel2="$("$bt" release create "$bp" --as carol --at 2026-12-02T12:00:00Z --format json | json_field id)"
echo "release $rel2"
"$bt" promote "$rel2" --to dev "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-02T12:05:00Z
"$bt" promote "$rel2" --to staging "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-02T12:10:00Z
"$bt" approve "$rel2" --env prod "${ledger[@]}" --as bob --at 2026-12-02T13:00:00Z
"$bt" approve "$rel2" --env prod "${ledger[@]}" --as sec --at 2026-12-02T13:05:00Z
"$bt" promote "$rel2" --to prod "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-03T13:00:00Z

step "prod misbehaves: frank rolls it back to the previous release"
"$bt" rollback --env prod "${gitops[@]}" "${ledger[@]}" --as frank --at 2026-12-03T14:00:00Z

step "what runs where"
"$bt" status "${ledger[@]}"
step "prod's history"
"$bt" history --env prod "${ledger[@]}"
step "the GitOps repository: one commit per deployment"
git -C "$deploy" log --format='  %h %s'
git -C "$deploy" log -1 --format='%B' | sed 's/^/  | /'

step "audit: verify the whole log; prove sec's approval (entry $approval_entry) is in it; verify an export offline"
# The auditor's trust anchor: the ledger's public key, which `keys init` wrote beside the private key.
anchor="$bp/.buttress/keys/ledger.key.pub"
"$bt" audit verify "${ledger[@]}" --trust "$anchor"
"$bt" audit proof "$approval_entry" "${ledger[@]}" > "$work/proof.json"
"$bt" audit verify-proof "$work/proof.json" --trust "$anchor"
"$bt" audit export "${ledger[@]}" --out "$work/audit.jsonl"
"$bt" audit verify --export "$work/audit.jsonl" --trust "$anchor"

printf '\ndemo: the whole story ran; the temporary folder is removed.\n'
