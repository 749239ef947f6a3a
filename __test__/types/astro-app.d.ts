// What an Astro project declares in its env.d.ts: App.SessionData types napi-session too.
declare namespace App {
  interface SessionData {
    theme: 'light' | 'dark';
  }
}
