defmodule Demo.Repo do
  use AshPostgres.Repo, otp_app: :demo

  @impl true
  def installed_extensions do
    # `citext` backs the case-insensitive e-mail column; `ash-functions`
    # is what AshPostgres expects for expressions it pushes down.
    ["ash-functions", "citext"]
  end

  @impl true
  def min_pg_version do
    %Version{major: 16, minor: 0, patch: 0}
  end

  @impl true
  def prefer_transaction? do
    false
  end
end
