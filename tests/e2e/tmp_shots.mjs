import { launchBrowser } from './site.mjs';
const b = await launchBrowser();
const base='http://127.0.0.1:18282';
async function as(user, pages, vp={width:1180,height:820}) {
  const ctx = await b.newContext({viewport: vp});
  const p = await ctx.newPage();
  p.on('console', m => { if (m.type()==='error' || m.type()==='warning') console.log(user, 'console', m.type(), m.text()); });
  p.on('pageerror', e => console.log(user, 'pageerror', e.message));
  await p.goto(base + '/app/login.html');
  await p.fill('#username', user); await p.fill('#password', 'password1');
  await Promise.all([p.waitForURL(u => !u.pathname.endsWith('login.html')), p.click('#login-submit')]);
  for (const pg of pages) {
    await p.goto(base + '/app/' + pg);
    await p.waitForTimeout(1200);
    await p.screenshot({ path: `/tmp/mock/${user}-${pg.replace(/[^a-z]/g,'')}.png`, fullPage: true });
  }
  return p;
}
await as('ann', ['driver.html']);
await as('sam', ['board.html', 'reports.html']);
await as('alex', ['admin.html#things','admin.html#kinds','admin.html#users','admin.html#placements'], {width:1400,height:900});
await b.close();
