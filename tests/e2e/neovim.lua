-- End-to-end check of editors/neovim in a real headless Neovim (0.10+): run by
-- tests/editors.rs as `nvim --headless --clean -l tests/e2e/neovim.lua` with
-- E2E_PROJECT (a scratch copy of examples/demo), E2E_CONFIG (editors/neovim),
-- E2E_SERVER (the binary) and optionally E2E_USE_START. Prints `ok - step` lines; any failure prints
-- what it saw and exits with `cquit`, so the harness never waits on a prompt.

local project = assert(os.getenv("E2E_PROJECT"), "E2E_PROJECT is not set")
local config_dir = assert(os.getenv("E2E_CONFIG"), "E2E_CONFIG is not set")
local server = assert(os.getenv("E2E_SERVER"), "E2E_SERVER is not set")

local function say(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end

local function fail(message)
  io.stderr:write("FAIL: " .. message .. "\n")
  io.stderr:flush()
  vim.cmd("cquit 1")
end

-- Run one step; an error anywhere in it fails the whole run.
local function step(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if not ok then
    fail(name .. ": " .. tostring(err))
  end
  say("ok - " .. name)
end

-- Wait up to `ms` for `cond()` to return a value; errors with `what()` otherwise.
local function wait_for(ms, cond, what)
  local value
  local done = vim.wait(ms, function()
    value = cond()
    return value ~= nil and value ~= false
  end, 50)
  if not done then
    error("timed out after " .. ms .. " ms waiting for " .. what(), 2)
  end
  return value
end

local function diagnostics_text(bufnr)
  local lines = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(lines, string.format("%d:%d %s %s", d.lnum + 1, d.col + 1, tostring(d.code), d.message))
  end
  table.sort(lines)
  return table.concat(lines, "\n")
end

-- The diagnostics of a buffer as sorted `line:col code` strings (1-based).
local function diagnostic_positions(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(out, string.format("%d:%d %s", d.lnum + 1, d.col + 1, tostring(d.code)))
  end
  table.sort(out)
  return out
end

local function expect_positions(bufnr, expected)
  table.sort(expected)
  local got
  local ok = vim.wait(30000, function()
    got = diagnostic_positions(bufnr)
    return vim.deep_equal(got, expected)
  end, 50)
  if not ok then
    error(
      "diagnostics differ\nexpected:\n  "
        .. table.concat(expected, "\n  ")
        .. "\ngot:\n"
        .. diagnostics_text(bufnr),
      2
    )
  end
end

local function open(relative)
  vim.cmd.edit(vim.fn.fnameescape(project .. "/" .. relative))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = wait_for(20000, function()
    return vim.lsp.get_clients({ bufnr = bufnr, name = "ecto_ash_lsp" })[1]
  end, function()
    return "ecto_ash_lsp to attach to " .. relative .. " (filetype " .. vim.bo[bufnr].filetype .. ")"
  end)
  return bufnr, client
end

vim.opt.runtimepath:prepend(config_dir)
vim.cmd("filetype on")
-- E2E_USE_START=1 takes the 0.10 path (vim.lsp.start from an autocmd).
require("ecto_ash_lsp").setup({ cmd = { server }, use_start = os.getenv("E2E_USE_START") == "1" })

local migration = "priv/repo/migrations/20230412153000_create_settings.exs"
local resource = "lib/demo/platform/auth_lockout.ex"
local migration_buf, resource_buf, client

step("the client attaches to a migration at the mix.exs root", function()
  migration_buf, client = open(migration)
  assert(client.root_dir == project, "root_dir is " .. tostring(client.root_dir) .. ", not " .. project)
end)

step("migration diagnostics: codes and positions", function()
  expect_positions(migration_buf, {
    "5:5 non-idempotent-statement",
    "13:5 non-idempotent-statement",
  })
end)

step("resource diagnostics: codes and positions", function()
  resource_buf = open(resource)
  expect_positions(resource_buf, {
    "8:11 codegen-would-recreate",
    "33:5 nullability-mismatch",
    "39:15 missing-column",
  })
end)

step("hover on the resource's table shows the table as the migrations build it", function()
  vim.api.nvim_win_set_cursor(0, { 8, 12 }) -- inside "auth_lockouts"
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local answers = vim.lsp.buf_request_sync(resource_buf, "textDocument/hover", params, 10000) or {}
  local text = ""
  for _, answer in pairs(answers) do
    if answer.result and answer.result.contents then
      local contents = answer.result.contents
      text = text .. (type(contents) == "table" and (contents.value or vim.inspect(contents)) or contents)
    end
  end
  for _, needle in ipairs({ "Demo.Platform.AuthLockout", "`platform.auth_lockouts`", "`failed_attempts`" }) do
    assert(text:find(needle, 1, true), "hover lacks " .. needle .. ":\n" .. text)
  end
end)

step("a quick fix makes `create table` idempotent", function()
  assert(client.server_capabilities.codeActionProvider, "the server offers no code actions")
  vim.api.nvim_set_current_buf(migration_buf)
  vim.api.nvim_win_set_cursor(0, { 5, 4 })
  local before = vim.api.nvim_buf_get_lines(migration_buf, 4, 5, false)[1]
  vim.lsp.buf.code_action({
    context = { only = { "quickfix" } },
    filter = function(action)
      return action.isPreferred == true
    end,
    apply = true,
  })
  local after = wait_for(10000, function()
    local line = vim.api.nvim_buf_get_lines(migration_buf, 4, 5, false)[1]
    return line ~= before and line or nil
  end, function()
    return "the quick fix to change line 5 (still " .. before .. ")"
  end)
  assert(after == "    create_if_not_exists table(:settings) do", "line 5 became: " .. after)
  -- The server re-reads the edited buffer: only the index's finding is left.
  expect_positions(migration_buf, { "13:5 non-idempotent-statement" })
end)

vim.cmd("qall!")
