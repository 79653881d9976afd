import Config

if config_env() == :prod do
  database_url =
    System.get_env("DATABASE_URL") ||
      raise """
      environment variable DATABASE_URL is missing.
      For example: ecto://USER:PASS@HOST/DATABASE
      """

  config :demo, Demo.Repo,
    url: database_url,
    pool_size: String.to_integer(System.get_env("POOL_SIZE") || "10")
end

# Production reads the vault key from the environment; dev and test derive a
# throwaway key so a fresh checkout runs without setup.
vault_key =
  case {config_env(), System.get_env("DEMO_VAULT_KEY")} do
    {_, key} when is_binary(key) -> Base.decode64!(key)
    {:prod, nil} -> raise "environment variable DEMO_VAULT_KEY is missing"
    {_, nil} -> :crypto.hash(:sha256, "demo-local-vault-key")
  end

config :demo, Demo.Vault,
  ciphers: [
    default: {Cloak.Ciphers.AES.GCM, tag: "AES.GCM.V1", key: vault_key, iv_length: 12}
  ]
