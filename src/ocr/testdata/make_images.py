#!/usr/bin/python3
"""Renders the OCR test images in this folder: invented, benign sentences in several
languages, black on white, grey PNG. Run again to regenerate (needs python3-pil with
libraqm for Arabic shaping, fonts-dejavu-core and fonts-noto-core):

    src/ocr/testdata/make_images.py

The expected text of each image is in expected.tsv (file, language, text)."""
import os
from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
LATIN = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ARABIC = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"

IMAGES = [
    ("en", LATIN, False, ["The harvest festival opens on Saturday",
                          "at the old market square, with music",
                          "and a lantern parade after sunset."]),
    ("fr", LATIN, False, ["La fête des récoltes commence samedi",
                          "sur la vieille place du marché, avec",
                          "de la musique et un défilé de lanternes."]),
    ("de", LATIN, False, ["Das Erntefest beginnt am Samstag auf",
                          "dem alten Marktplatz, mit Musik und",
                          "einem Laternenumzug nach Sonnenuntergang."]),
    ("it", LATIN, False, ["La festa del raccolto inizia sabato",
                          "nella vecchia piazza del mercato, con",
                          "musica e una sfilata di lanterne."]),
    ("tr", LATIN, False, ["Hasat şenliği cumartesi günü eski",
                          "pazar meydanında müzikle başlıyor ve",
                          "gün batımından sonra fener alayı var."]),
    ("ru", LATIN, False, ["Праздник урожая начнётся в субботу",
                          "на старой рыночной площади, с музыкой",
                          "и шествием с фонарями после заката."]),
    ("ar", ARABIC, True, ["يبدأ مهرجان الحصاد يوم السبت",
                          "في ساحة السوق القديمة مع الموسيقى",
                          "وموكب الفوانيس بعد غروب الشمس."]),
    ("fa", ARABIC, True, ["جشنواره برداشت محصول روز شنبه",
                          "در میدان بازار قدیمی با موسیقی",
                          "و رژه فانوس پس از غروب آغاز می‌شود."]),
    ("ur", ARABIC, True, ["فصل کی کٹائی کا میلہ ہفتے کے دن",
                          "پرانے بازار کے چوک میں موسیقی کے ساتھ",
                          "اور غروب آفتاب کے بعد لالٹین کا جلوس۔"]),
]


def render(lang, font_path, rtl, lines):
    size = 34
    font = ImageFont.truetype(font_path, size)
    width, line_h, margin = 900, int(size * 1.9), 40
    img = Image.new("L", (width, margin * 2 + line_h * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        kwargs = {"direction": "rtl", "language": lang} if rtl else {}
        w = draw.textlength(line, font=font, **kwargs)
        x = width - margin - w if rtl else margin
        draw.text((x, margin + i * line_h), line, font=font, fill=0, **kwargs)
    img.save(os.path.join(HERE, f"text-{lang}.png"), optimize=True)


with open(os.path.join(HERE, "expected.tsv"), "w", encoding="utf-8") as out:
    for lang, font, rtl, lines in IMAGES:
        render(lang, font, rtl, lines)
        out.write(f"text-{lang}.png\t{lang}\t{' '.join(lines)}\n")
