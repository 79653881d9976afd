defmodule Demo.Vault do
  @moduledoc "Encrypts secrets at rest (TOTP seeds); keys come from runtime config."
  use Cloak.Vault, otp_app: :demo
end
