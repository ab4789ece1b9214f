# shellcheck shell=bash
# The topology the local launcher (./platform) starts: the one place to change a service's
# name, project or ports. The Aspire AppHost declares the same services; keep them in step.
#
# Columns: name  project (relative to the repo root)  http offset  grpc offset ("-" = no gRPC).
# Offsets are added to the profile's port base (default 5100, `--port-base N`).
# Each service's own Postgres database is "<name>db" (plus the profile's suffix).
# shellcheck disable=SC2034  # read by ./platform, which sources this file
PLATFORM_SERVICES=(
  "gateway          gateway/Gateway.csproj                                0   -"
  "deployment       services/Deployment/Deployment.csproj                 1   11"
  "experimentation  services/Experimentation/Experimentation.csproj       2   12"
  "extraction       services/Extraction/Extraction.csproj                 3   13"
  "training         services/Training/Training.csproj                     4   14"
  "inference        services/Inference/Inference.csproj                   5   15"
  "console          services/Console/Console.csproj                       6   -"
)

# Highest offset above, so a port base can be checked against the top of the port range.
# shellcheck disable=SC2034
PLATFORM_PORT_SPAN=16

# The port base of the default profile; other profiles get their own (see ./platform help).
# shellcheck disable=SC2034
PLATFORM_DEFAULT_PORT_BASE=5100

# Shared infrastructure on 127.0.0.1, overridable by the environment variable of the same name.
# Below Linux's ephemeral range (32768-60999), so an outgoing connection can never hold one of them.
# shellcheck disable=SC2034
PLATFORM_INFRA_DEFAULTS=(
  "PLATFORM_PG_PORT              25432"
  "PLATFORM_REDIS_PORT           26379"
  "PLATFORM_AMQP_PORT            25672"
  "PLATFORM_RABBITMQ_MGMT_PORT   25673"
  "PLATFORM_RABBITMQ_DIST_PORT   25674"
  "PLATFORM_EPMD_PORT            24369"
)
