#!/bin/sh
# The image's entry point (/usr/local/bin/criptos-entrypoint): one image, every role.
#
#   api [OPTIONS]                  the prediction API (uvicorn) on 0.0.0.0:${PORT:-8080};
#                                  OPTIONS as `python -m criptos.api --help` (the
#                                  default CMD; Fargate's command)
#   criptos.aws.handlers.NAME      a Lambda handler through awslambdaric, the AWS
#   lambda HANDLER                 runtime interface client (Lambda's ImageConfig
#                                  Command; needs AWS_LAMBDA_RUNTIME_API, which
#                                  Lambda sets)
#   anything else                  run as given, e.g. `kedro run --env s3 ...`
set -eu

case "${1:-api}" in
api)
    [ $# -gt 0 ] && shift
    exec python -m criptos.api --host 0.0.0.0 --port "${PORT:-8080}" "$@"
    ;;
lambda)
    shift
    if [ $# -ne 1 ]; then
        echo "usage: criptos-entrypoint lambda HANDLER (e.g. criptos.aws.handlers.train)" >&2
        exit 64
    fi
    exec python -m awslambdaric "$1"
    ;;
criptos.aws.handlers.*)
    exec python -m awslambdaric "$1"
    ;;
*)
    exec "$@"
    ;;
esac
