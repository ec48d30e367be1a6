def handler(event, context)
  start = (Time.now.to_f * 1000).to_i
  sleep 1
  "#{start} #{(Time.now.to_f * 1000).to_i}"
end
