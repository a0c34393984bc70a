// The demo's synthetic portrait (a drawn figure, nobody's likeness) at a size an employer
// can compare: 240 x 320, JPEG, as the data URL the right-to-work claims carry.
// Run once with jpeg-js 0.4.4 installed:  node scripts/demo-portrait.mjs > portrait.txt
import jpeg from "jpeg-js";

const W = 240, H = 320;
const px = Buffer.alloc(W * H * 4);
const set = (x, y, [r, g, b]) => {
  const i = (y * W + x) * 4;
  px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = 255;
};
const inEllipse = (x, y, cx, cy, rx, ry) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    // A passport-photo background: light grey, slightly graded.
    let c = [226 - (y >> 4), 230 - (y >> 4), 234 - (y >> 4)];
    if (inEllipse(x, y, 120, 330, 118, 105)) c = [47, 74, 107];            // shoulders, a jacket
    if (x > 100 && x < 140 && y > 190 && y < 245) c = [214, 170, 140];      // neck
    if (inEllipse(x, y, 120, 118, 66, 76)) c = [59, 47, 42];                // hair behind
    if (inEllipse(x, y, 120, 140, 52, 66)) {                                 // face, shaded
      const shade = Math.round(((x - 120) / 52) * 14);
      c = [222 - shade, 178 - shade, 148 - shade];
    }
    if (inEllipse(x, y, 120, 92, 56, 30) && y < 104) c = [59, 47, 42];       // fringe
    if (inEllipse(x, y, 99, 136, 7, 4) || inEllipse(x, y, 141, 136, 7, 4)) c = [40, 40, 44]; // eyes
    if (inEllipse(x, y, 99, 126, 10, 2) || inEllipse(x, y, 141, 126, 10, 2)) c = [70, 52, 44]; // brows
    if (x > 117 && x < 123 && y > 140 && y < 162) c = [205, 160, 132];       // nose
    if (inEllipse(x, y, 120, 176, 16, 4)) c = [168, 92, 84];                 // mouth
    set(x, y, c);
  }
}
const { data } = jpeg.encode({ data: px, width: W, height: H }, 80);
process.stdout.write("data:image/jpeg;base64," + Buffer.from(data).toString("base64"));
