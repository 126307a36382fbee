-- A mix of reads and writes against sn-conform's mock, for wrk. Each connection (load.sh
-- gives every wrk thread one, so a thread's requests are one connection's, in order)
-- repeats: create a queue (its sys_id chosen here, which the Table API keeps), read it back,
-- list queues a page at a time, change it, delete it. Every record a cycle creates it
-- deletes, so the mock holds no more after twenty seconds than after five.
local counter = 0
-- The step of the cycle, advanced when its answer arrives (in response()), never in
-- request(): wrk may call request() once more than it sends.
local step = 1
local current = nil

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

local auth = "Basic YWRtaW46YWRtaW4=" -- admin:admin, the mock's built-in account
local json = { ["Content-Type"] = "application/json", ["Authorization"] = auth, ["Accept"] = "application/json" }

local function sys_id()
  -- `thread_id` is the global setup() gave this thread: ids never collide across threads.
  local n = (thread_id or 0) * 1000000000 + step
  return string.format("%032x", n)
end

function request()
  local phase = step % 5
  if phase == 1 then
    current = sys_id()
    return wrk.format("POST", "/api/now/table/awa_queue", json,
      '{"sys_id":"' .. current .. '","name":"load ' .. current .. '"}')
  elseif phase == 2 then
    return wrk.format("GET", "/api/now/table/awa_queue/" .. current, json)
  elseif phase == 3 then
    return wrk.format("GET", "/api/now/table/awa_queue?sysparm_limit=5&sysparm_query=nameSTARTSWITHload", json)
  elseif phase == 4 then
    return wrk.format("PATCH", "/api/now/table/awa_queue/" .. current, json, '{"active":"false"}')
  else
    return wrk.format("DELETE", "/api/now/table/awa_queue/" .. current, json)
  end
end

-- The first few answers that are not 2xx, printed with their request, so a failure says why.
local shown = 0
function response(status, headers, body)
  step = step + 1
  if status >= 300 and shown < 3 then
    shown = shown + 1
    io.stderr:write(string.format("answer %d to step %d (phase %d): %s\n", status, step - 1, (step - 1) % 5, body))
  end
end
