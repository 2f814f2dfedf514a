# Non-secret settings only. admin_principals is set per operator, e.g.
#   tofu apply -var='admin_principals=["user_id:<your IAM user id>"]'
registry_namespace = "evalap"
