# The migration runner: a private Serverless Container created for one run of Alembic and removed
# after (the CLI applies it with -target and `migration` set, then with `migration = null`). It
# runs the release's image with the API's database environment, inside the environment's private
# network (the production database has only a private endpoint), and serves its state for the CLI,
# which reads it with its own IAM API key in X-Auth-Token (ContainersPrivateAccess, infra/bootstrap). Why a container and not a Serverless Job, and why
# through tofu: infra/README.md, "Migrations".

locals {
  # runner.py.tftpl: lock, Alembic, state served on $PORT. Passed to `python3 -c`, so nothing has to
  # be added to the image.
  script = templatefile("${path.module}/runner.py.tftpl", { lock_key = var.lock_key })
}

resource "scaleway_container" "runner" {
  name         = "migrate-${var.migration.id}"
  description  = "evalap-infra migration ${var.migration.id}: alembic ${join(" ", var.migration.args)}"
  namespace_id = var.namespace_id
  region       = var.region
  tags         = var.tags

  image   = var.image
  port    = var.port
  command = ["python3", "-c", local.script]
  args    = var.migration.args

  cpu_limit          = var.cpu_limit
  memory_limit_bytes = var.memory_limit_bytes
  # One instance, always up: a second would run the migration again (the lock would make it wait,
  # then find nothing to do), and a scale to zero would cut Alembic mid-run.
  min_scale = 1
  max_scale = 1
  timeout   = 300

  # Private: a call needs X-Auth-Token with an IAM API secret key allowed ContainersPrivateAccess (403
  # without). Not scaleway_container_token: Scaleway stopped creating those JWTs on 2026-02-16
  # (docs: serverless-containers/how-to/migrate-jwt-to-iam-authentication).
  privacy                = "private"
  https_connections_only = true
  private_network_id     = var.private_network_id

  environment_variables        = merge(var.environment, { MIGRATION_ID = var.migration.id })
  secret_environment_variables = var.secret_environment

  liveness_probe {
    failure_threshold = 3
    interval          = "30s"
    timeout           = "5s"
    http {
      path = "/"
    }
  }

  startup_probe {
    failure_threshold = 30
    interval          = "10s"
    timeout           = "5s"
    http {
      path = "/"
    }
  }
}
