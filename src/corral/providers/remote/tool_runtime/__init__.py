"""Remote tool_runtime providers: web search APIs (Tavily, Brave, Bing)."""
