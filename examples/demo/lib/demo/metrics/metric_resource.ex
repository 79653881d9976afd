defmodule Demo.Metrics.MetricResource do
  @moduledoc """
  Shared shape of the host metric resources: one row per sample, stored in its
  own table in the `platform` schema.

      use Demo.Metrics.MetricResource, table: "cpu_metrics"
  """

  defmacro __using__(opts) do
    quote do
      use Ash.Resource,
        otp_app: :demo,
        domain: Demo.Metrics,
        data_layer: AshPostgres.DataLayer

      postgres do
        table unquote(opts[:table])
        schema "platform"
        repo Demo.Repo
      end

      attributes do
        uuid_primary_key :id

        attribute :recorded_at, :utc_datetime_usec do
          allow_nil? false
          public? true
        end

        attribute :value, :float do
          allow_nil? false
          public? true
        end
      end
    end
  end
end
