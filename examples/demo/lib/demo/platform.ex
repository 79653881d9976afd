defmodule Demo.Platform do
  use Ash.Domain, otp_app: :demo

  resources do
    resource Demo.Platform.AuditLog
    resource Demo.Platform.AuthLockout
    resource Demo.Platform.SecurityEvent
  end
end
