#!/usr/bin/env bash
# `make run`'s last step: the simulated national systems, the background worker and the web server, together.
# Stopping it (Ctrl-C) stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PORT=${PORT:-8000}
EID_PORT=${EID_PORT:-9101}
REGISTRY_PORT=${REGISTRY_PORT:-9102}
AGENCY_PORT=${AGENCY_PORT:-9103}  # police 9103, social insurance 9104, social assistance 9105, national portal 9106
DATA=${MOTCUA_DATA_DIR:-./var}
mkdir -p "$DATA"

# The relying party's client secret is made once per installation and never committed.
secret_file="$DATA/oidc-client-secret"
if [ ! -s "$secret_file" ]; then
  (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(32))' > "$secret_file")
fi
population="$DATA/population.jsonl.gz"
if [ ! -s "$population" ]; then
  echo "Tạo dân cư tổng hợp (100.000 người, tỉnh Quảng Ninh)…"
  "$PY" -m simulators.population --n 100000 --seed 22 --out "$population"
fi

export MOTCUA_OIDC_ISSUER="http://127.0.0.1:$EID_PORT"
export MOTCUA_OIDC_CLIENT_ID=motcua
MOTCUA_OIDC_CLIENT_SECRET="$(cat "$secret_file")"
export MOTCUA_OIDC_CLIENT_SECRET
export MOTCUA_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT"

# Payment gateway (simulated, VNPay 2.1): its HMAC-SHA512 secret is made once per installation, never committed.
PAYMENT_PORT=${PAYMENT_PORT:-9110}
payment_secret_file="$DATA/payment-hash-secret"
if [ ! -s "$payment_secret_file" ]; then
  (umask 077; "$PY" -c 'import secrets; print(secrets.token_hex(32))' > "$payment_secret_file")
fi
MOTCUA_PAYMENT_HASH_SECRET="$(cat "$payment_secret_file")"
export MOTCUA_PAYMENT_HASH_SECRET
export MOTCUA_PAYMENT_TMN_CODE=MOTCUA01
export MOTCUA_PAYMENT_GATEWAY_URL="http://127.0.0.1:$PAYMENT_PORT/paymentv2/vpcpay.html"
export MOTCUA_PAYMENT_API_URL="http://127.0.0.1:$PAYMENT_PORT/merchant_webapi/api/transaction"
# SMS brandname gateway (simulated), with its API key; links in messages point at this server.
SMS_PORT=${SMS_PORT:-9111}
sms_key_file="$DATA/sms-api-key"
if [ ! -s "$sms_key_file" ]; then
  (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' > "$sms_key_file")
fi
MOTCUA_SMS_API_KEY="$(cat "$sms_key_file")"
export MOTCUA_SMS_API_KEY
export MOTCUA_SMS_URL="http://127.0.0.1:$SMS_PORT"
export MOTCUA_SMS_DLR_URL="http://127.0.0.1:$PORT/thong-bao/sms/bao-cao/"
export MOTCUA_PUBLIC_URL="http://127.0.0.1:$PORT"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$PY" -m simulators.eid --port "$EID_PORT" --issuer "$MOTCUA_OIDC_ISSUER" --client-id "$MOTCUA_OIDC_CLIENT_ID" \
  --client-secret "$MOTCUA_OIDC_CLIENT_SECRET" --redirect-uri "http://127.0.0.1:$PORT/dinh-danh/callback/" \
  --population "$population" &
pids+=($!)
"$PY" -m simulators.registry --port "$REGISTRY_PORT" --population "$population" &
pids+=($!)
# Other agencies' systems (simulated), each registered as an exchange partner with the key it publishes.
# The commune's civil status is processed inside motcua (its officials get a sub-dossier).
inbox="http://127.0.0.1:$PORT/api/v1/exchange/inbox"
jwks="http://127.0.0.1:$PORT/api/v1/exchange/.well-known/jwks"
port=$AGENCY_PORT
for spec in "police:cong-an:now:Công an tỉnh Quảng Ninh — đăng ký cư trú (mô phỏng)" \
            "social_insurance:bhxh:later:Bảo hiểm xã hội tỉnh Quảng Ninh (mô phỏng)" \
            "social_assistance:tro-giup-xa-hoi:now:Cơ quan trợ giúp xã hội (mô phỏng)" \
            "portal:dvcqg:now:Cổng Dịch vụ công quốc gia (mô phỏng)"; do
  IFS=: read -r profile code mode name <<< "$spec"
  "$PY" -m simulators.agency --profile "$profile" --port "$port" --mode "$mode" \
    --callback-url "$inbox" --motcua-jwks-url "$jwks" > "$DATA/sim-$code.log" 2>&1 &
  pids+=($!)
  "$PY" manage.py exchange_partner "$code" --name "$name" --url "http://127.0.0.1:$port" --fetch-jwks
  port=$((port + 1))
done
"$PY" manage.py exchange_partner ho-tich --name "UBND cấp xã — công chức tư pháp, hộ tịch (xử lý trong motcua)" --internal

"$PY" -m simulators.gateway --port "$PAYMENT_PORT" --hash-secret-file "$payment_secret_file" \
  --tmn-code "$MOTCUA_PAYMENT_TMN_CODE" --ipn-url "http://127.0.0.1:$PORT/api/v1/payments/ipn" \
  > "$DATA/sim-gateway.log" 2>&1 &
pids+=($!)
"$PY" -m simulators.sms --port "$SMS_PORT" --api-key "$MOTCUA_SMS_API_KEY" > "$DATA/sim-sms.log" 2>&1 &
pids+=($!)

"$PY" manage.py run_worker &
pids+=($!)

echo "Định danh điện tử (mô phỏng): $MOTCUA_OIDC_ISSUER   CSDL dân cư (mô phỏng): $MOTCUA_REGISTRY_URL"
echo "Cơ quan liên thông (mô phỏng): công an :$AGENCY_PORT, BHXH :$((AGENCY_PORT + 1)), trợ giúp xã hội :$((AGENCY_PORT + 2)), Cổng DVCQG :$((AGENCY_PORT + 3))"
echo "Cổng thanh toán (mô phỏng): http://127.0.0.1:$PAYMENT_PORT/paymentv2/vpcpay.html   SMS (mô phỏng): :$SMS_PORT"
.venv/bin/gunicorn motcua.wsgi --bind "127.0.0.1:$PORT" --workers "${WORKERS:-2}" --access-logfile - --log-level warning
