#!/bin/sh
# Deletes the finished pods of a namespace. Example only.
set -eu
namespace=sandbox
dry_run=true
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace=$2; shift 2 ;;
    --dry-run=*) dry_run=${1#--dry-run=}; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
kubectl get pods -n "$namespace" --field-selector=status.phase==Succeeded -o name |
  while read -r pod; do
    if [ "$dry_run" = true ]; then echo "would delete $pod"; else kubectl delete -n "$namespace" "$pod"; fi
  done
