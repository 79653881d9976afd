--- ecto-ash-lsp for Neovim: the client configuration (command, filetypes, root
--- detection on `mix.exs`, settings) and `setup()`, which enables it through
--- `vim.lsp.config`/`vim.lsp.enable` on 0.11+ and `vim.lsp.start` on 0.10.
local M = {}

M.name = "ecto_ash_lsp"

--- Options `setup()` accepts; every field is optional.
--- cmd: the server command (default `{ "ecto-ash-lsp" }`, found on PATH).
--- settings: the `ecto-ash-lsp` settings (convention, exclude, rules), also
--- sent as initializationOptions.
--- use_start: start clients with `vim.lsp.start` from a FileType autocmd even
--- on 0.11+ (what 0.10 always does).
M.defaults = {
  cmd = { "ecto-ash-lsp" },
  settings = {},
  use_start = false,
}

--- The project folder of `path`: the nearest folder with a `mix.exs`.
local function mix_root(path)
  local found = vim.fs.find("mix.exs", { path = vim.fs.dirname(path), upward = true })[1]
  return found and vim.fs.dirname(found) or nil
end

--- Elixir files anywhere in a Mix project, JSON only for Ash's resource
--- snapshots (the server has nothing to say about other JSON).
local function root_for_buffer(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" then
    return nil
  end
  local ft = vim.bo[bufnr].filetype
  if ft == "json" and not path:find("/priv/resource_snapshots/", 1, true) then
    return nil
  end
  return mix_root(path)
end

M.root_for_buffer = root_for_buffer

--- Settings as the server reads them; an empty table would be sent as a
--- JSON list, which the server reports, so send an empty object instead.
local function settings_of(opts)
  if next(opts.settings) == nil then
    return vim.empty_dict()
  end
  return opts.settings
end

--- The `vim.lsp.Config` for 0.11+ (nvim-lspconfig's `lsp/` shape).
function M.config(opts)
  opts = vim.tbl_deep_extend("force", M.defaults, opts or {})
  return {
    cmd = opts.cmd,
    filetypes = { "elixir", "json" },
    -- A function so JSON outside priv/resource_snapshots gets no client.
    root_dir = function(bufnr, on_dir)
      local root = root_for_buffer(bufnr)
      if root then
        on_dir(root)
      end
    end,
    settings = { ["ecto-ash-lsp"] = settings_of(opts) },
    init_options = settings_of(opts),
  }
end

--- Start (or reuse) a client for `bufnr` with `vim.lsp.start`: Neovim 0.10.
local function start_0_10(bufnr, opts)
  local root = root_for_buffer(bufnr)
  if not root then
    return
  end
  vim.lsp.start({
    name = M.name,
    cmd = opts.cmd,
    root_dir = root,
    settings = { ["ecto-ash-lsp"] = settings_of(opts) },
    init_options = settings_of(opts),
  }, { bufnr = bufnr })
end

--- Enable the server for Elixir buffers and resource snapshots.
function M.setup(opts)
  opts = vim.tbl_deep_extend("force", M.defaults, opts or {})
  if not opts.use_start and vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    vim.lsp.config(M.name, M.config(opts))
    vim.lsp.enable(M.name)
    return
  end
  local group = vim.api.nvim_create_augroup("ecto_ash_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = { "elixir", "json" },
    callback = function(args)
      start_0_10(args.buf, opts)
    end,
  })
end

return M
