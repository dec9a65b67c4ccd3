#!/usr/bin/env bash
# Sends a signed HubSpot-style closed-won webhook to a workspace's CRM
# address, as HubSpot (with a workflow's deal properties) would: for trying
# a connection and its mapping rules (docs/crm.md).
#
#   ONBOARDIQ_BASE_URL=https://onboardiq.example.com \
#   HUBSPOT_APP_SECRET=… scripts/crm-hubspot-won.sh WORKSPACE [DEAL_ID] [AMOUNT] [PIPELINE]
#
# The address signed is $ONBOARDIQ_BASE_URL/api/v1/crm/WORKSPACE/hubspot:
# it must be the server's ONBOARDIQ_BASE_URL, as HubSpot signs the address
# it calls. With PRINT=1 it prints the request instead of sending it.
set -euo pipefail
workspace=${1:?usage: crm-hubspot-won.sh WORKSPACE [DEAL_ID] [AMOUNT] [PIPELINE]}
deal=${2:-$RANDOM$RANDOM}
amount=${3:-12000}
pipeline=${4:-default}
base=${ONBOARDIQ_BASE_URL:?set ONBOARDIQ_BASE_URL}
secret=${HUBSPOT_APP_SECRET:?set HUBSPOT_APP_SECRET to the secret of the connection}
url="${base%/}/api/v1/crm/$workspace/hubspot"
ts=${TIMESTAMP_MS:-$(date +%s%3N)}
event=${EVENT_ID:-$ts}
body=$(printf '[{"eventId":%s,"subscriptionType":"deal.propertyChange","objectId":%s,"propertyName":"dealstage","propertyValue":"closedwon","properties":{"dealname":"Deal %s","amount":"%s","pipeline":"%s"},"company":{"id":"company-%s","name":"Company %s","domain":"company-%s.example"},"contacts":[{"email":"buyer@company-%s.example","firstname":"Bea","lastname":"Buyer"}]}]' \
  "$event" "$deal" "$deal" "$amount" "$pipeline" "$deal" "$deal" "$deal" "$deal")
sig=$(printf '%s' "POST${url}${body}${ts}" | openssl dgst -sha256 -hmac "$secret" -binary | base64)
if [[ ${PRINT:-} == 1 ]]; then
  printf 'POST %s\nX-HubSpot-Request-Timestamp: %s\nX-HubSpot-Signature-v3: %s\n\n%s\n' "$url" "$ts" "$sig" "$body"
  exit 0
fi
curl -sS -X POST "$url" -H 'Content-Type: application/json' \
  -H "X-HubSpot-Request-Timestamp: $ts" -H "X-HubSpot-Signature-v3: $sig" --data-binary "$body"
echo
