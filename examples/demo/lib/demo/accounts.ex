defmodule Demo.Accounts do
  use Ash.Domain, otp_app: :demo

  resources do
    resource Demo.Accounts.Organization
    resource Demo.Accounts.User
    resource Demo.Accounts.ApiToken
  end
end
