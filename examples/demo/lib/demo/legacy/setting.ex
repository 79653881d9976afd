defmodule Demo.Legacy.Setting do
  @moduledoc """
  Instance-wide key/value settings from before the move to Ash. Still read at
  boot, edited only from the admin console.
  """
  use Ecto.Schema
  import Ecto.Changeset

  schema "settings" do
    field :key, :string
    field :value, :string
    field :description, :string

    timestamps()
  end

  def changeset(setting, attrs) do
    setting
    |> cast(attrs, [:key, :value, :description])
    |> validate_required([:key])
    |> unique_constraint(:key)
  end
end
