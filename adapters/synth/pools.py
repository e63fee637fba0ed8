"""Slot values for the synthetic conversations. Written for this generator (none from the dev set)."""

from __future__ import annotations

FIRST_NAMES = (
    "Abena Adil Agnes Akira Alba Aleksander Alina Amara Anders Andile Anouk Arash Aroha Asha Astrid Aurelio "
    "Ayesha Babajide Benedikt Bianca Bongani Bruno Camila Cedric Chidi Clara Cosmin Dalia Dara Darius Dmitri "
    "Dorota Eamon Edith Efua Eitan Elif Emeka Emil Esme Ewa Farid Fenna Florin Freya Gabriel Gideon Giulia "
    "Goran Hamid Hana Harriet Hugo Ibrahim Idris Ilse Imani Ines Isak Ivana Jalen Janne Jasper Jovana Juno "
    "Kai Kaito Kalinda Karim Katya Keanu Kemal Kiri Laila Lars Leila Lennart Lior Lorenzo Lucia Lwazi Maeve "
    "Mahmoud Malia Mateo Maya Mehmet Mika Milan Mirela Nia Niamh Nikolai Noor Odile Olu Omar Orla Pablo Paulo "
    "Petra Pooja Quentin Rafael Rana Ravi Rhea Rosa Rui Saanvi Samir Sana Selin Seo-yeon Shira Sipho Soren "
    "Stellan Sunita Tamsin Tariq Teodor Thandiwe Theo Tilda Tobias Uma Valentina Vasco Vera Wanjiru Wei Xavier "
    "Yara Yusuf Zainab Zara Zeynep Zoltan"
).split()

LAST_NAMES = (
    "Abara Achterberg Adeyemi Agarwal Alvarez Andersen Arslan Babic Baker Banerjee Barros Bauer Bergstrom "
    "Bianchi Bondarenko Castellanos Celik Chen Chowdhury Dahl Delacroix Dimitriou Duarte Dvorak Eriksen "
    "Ferreira Fischer Gallagher Gomez Grabowski Haddad Hakimi Hartmann Horvat Ibrahimovic Jankowski Jensen "
    "Kamara Kapoor Karlsson Kaya Kowalczyk Kruger Lambert Larsen Lindgren Lopez Macharia Mahlangu Marin "
    "Moreau Mukherjee Murphy Nakamura Ndlovu Novak Nwosu Okonkwo Olsen Ortega Osei Papadopoulos Park Pereira "
    "Popescu Quinn Rossi Saito Santos Schmidt Sharma Silva Sokolov Suzuki Takahashi Teixeira Torres Tran "
    "Ueda Vargas Varga Vlahos Walsh Wojcik Yamamoto Yilmaz Zhou Zielinski"
).split()

# Names for the people and animals in a user's life (kept apart from persona first names by the picker).
PERSON_NAMES = (
    "Ada Alfie Amir Ana Arlo Ben Bea Cal Cleo Dev Dina Eli Ella Ezra Fern Finn Gia Gus Hal Ida Ike Iris Jude "
    "Kit Lea Leo Lila Luca Mae Max Mila Nico Nina Noah Ola Oskar Pia Raf Remy Rina Rowan Ruth Sami Sol Tess "
    "Tom Uri Vik Wren Yuki Zed Zoe Marta Lukas Hiro Femi Ayo Kofi Lina Sven Jonas Mira Anya Tariq Lena"
).split()
PET_NAMES = (
    "Biscuit Pepper Noodle Mango Olive Pickles Waffles Ziggy Luna Bean Tofu Nacho Pumpkin Socks Kiwi Bandit "
    "Juniper Fig Clementine Oreo Pretzel Basil Sushi Marble Rocket Toast Dumpling Moose Pixel Hazel"
).split()

CITIES = (
    "Lisbon", "Porto", "Rotterdam", "Utrecht", "Gothenburg", "Aarhus", "Krakow", "Gdansk", "Brno", "Ljubljana",
    "Zagreb", "Thessaloniki", "Valencia", "Bilbao", "Bologna", "Turin", "Marseille", "Nantes", "Leipzig",
    "Hamburg", "Graz", "Zurich", "Glasgow", "Cardiff", "Belfast", "Cork", "Bristol", "Nottingham", "Montreal",
    "Calgary", "Halifax", "Denver", "Austin", "Portland", "Pittsburgh", "Melbourne", "Adelaide", "Wellington",
    "Auckland", "Cape Town", "Nairobi", "Accra", "Lagos", "Casablanca", "Pune", "Bangalore", "Kochi", "Osaka",
    "Sapporo", "Busan", "Taipei", "Hanoi", "Kuala Lumpur", "Santiago", "Montevideo", "Guadalajara", "Curitiba",
)
COUNTRIES = (
    "Portugal", "Poland", "Nigeria", "Ghana", "Kenya", "Brazil", "Argentina", "Chile", "Mexico", "Colombia",
    "Turkey", "Greece", "Romania", "Croatia", "Serbia", "India", "Pakistan", "Bangladesh", "Vietnam",
    "the Philippines", "Indonesia", "Japan", "South Korea", "Egypt", "Morocco", "Iran", "Ukraine", "Sweden",
    "Norway", "Finland", "Ireland", "Scotland", "New Zealand", "Canada", "South Africa",
)
LANGUAGES = ("Portuguese", "Polish", "Spanish", "French", "German", "Italian", "Turkish", "Greek", "Hindi",
             "Tamil", "Arabic", "Japanese", "Korean", "Mandarin", "Swahili", "Dutch", "Swedish", "Ukrainian",
             "Vietnamese", "Yoruba")
HOMES = ("a flat in the old town", "a flat in the harbour district", "a house in a suburb north of the centre",
         "a small flat near the university", "a house by the park", "a flat above a bakery",
         "a terraced house on the east side", "a cottage in a village outside the city", "a studio flat downtown")

JOBS = (
    ("software developer", "work"), ("primary school teacher", "work"), ("paramedic", "work"),
    ("pharmacist", "work"), ("civil engineer", "work"), ("graphic designer", "work"), ("accountant", "work"),
    ("physiotherapist", "work"), ("barista", "work"), ("data analyst", "work"), ("electrician", "work"),
    ("veterinary nurse", "work"), ("librarian", "work"), ("chef", "work"), ("lawyer", "work"),
    ("architect", "work"), ("midwife", "work"), ("bus driver", "work"), ("social worker", "work"),
    ("marine biologist", "work"), ("UX researcher", "work"), ("dentist", "work"), ("carpenter", "work"),
    ("translator", "work"), ("logistics coordinator", "work"), ("radiographer", "work"),
    ("journalist", "work"), ("product manager", "work"), ("lab technician", "work"), ("tattoo artist", "work"),
)
COMPANIES = ("a small design studio", "a logistics company", "the city hospital", "a bank", "a startup that makes "
             "solar panels", "a bookshop", "the council", "a game studio", "an insurance firm", "a bakery chain",
             "a shipping company", "a biotech lab", "a law firm", "a hotel", "a museum")
FIELDS = ("computer science", "nursing", "economics", "marine biology", "architecture", "psychology",
          "data science", "mechanical engineering", "history", "public health", "graphic design", "law",
          "education", "statistics", "linguistics")
DEGREES = ("a master's", "a bachelor's", "a PhD", "a part-time diploma", "an online certificate")
SKILLS = ("the guitar", "the piano", "pottery", "sourdough baking", "watercolour painting", "coding in Python",
          "rock climbing", "salsa dancing", "chess", "knitting", "photography", "the violin", "woodworking",
          "sign language", "surfing", "bouldering", "calligraphy", "the drums")

FOODS_LIKED = ("sushi", "spicy ramen", "dark chocolate", "Thai green curry", "tacos", "roast vegetables",
               "halloumi", "pho", "lasagne", "dumplings", "falafel", "peanut butter", "mango", "lentil soup",
               "pesto pasta", "fried plantain", "kimchi", "goat cheese", "pistachio ice cream", "jollof rice")
FOODS_DISLIKED = ("olives", "coriander", "mushrooms", "blue cheese", "liver", "anchovies", "beetroot",
                  "raisins", "oysters", "aubergine", "tofu", "okra", "pickles", "celery", "licorice")
CUISINES = ("Ethiopian", "Korean", "Lebanese", "Mexican", "Vietnamese", "Georgian", "Peruvian", "Indian",
            "Japanese", "Greek", "Turkish", "Sichuan")
DIETS = (("vegetarian", "User is vegetarian"), ("vegan", "User is vegan"),
         ("pescatarian", "User is pescatarian"), ("gluten-free", "User eats gluten-free"))
ALLERGENS = ("peanuts", "tree nuts", "shellfish", "penicillin", "cats", "pollen", "dairy", "eggs", "sesame",
             "bee stings", "latex", "wheat")
CONDITIONS = ("asthma", "type 1 diabetes", "migraines", "a bad lower back", "coeliac disease", "ADHD",
              "high blood pressure", "eczema", "tinnitus", "a dodgy knee", "insomnia", "anaemia")
SPORTS = ("running", "swimming", "cycling", "tennis", "badminton", "yoga", "pilates", "football", "basketball",
          "volleyball", "boxing", "rowing", "climbing", "padel", "table tennis", "hiking")
TEAMS = ("Celtic", "Benfica", "Ajax", "Napoli", "the Raptors", "the Packers", "Boca Juniors", "Galatasaray",
         "Feyenoord", "the All Blacks", "the Chicago Cubs", "Borussia Dortmund", "Olympiacos", "Flamengo")
RACES = ("the city half marathon", "a 10k charity run", "a sprint triathlon", "the spring marathon",
         "a 100 km cycling sportive", "an open-water swim")
CRAFTS = ("crochet", "embroidery", "model railways", "bonsai", "pottery", "candle making", "bookbinding",
          "origami", "birdwatching", "stamp collecting", "board games", "urban sketching", "gardening",
          "beekeeping", "home brewing")
GENRES_BOOK = ("fantasy novels", "historical fiction", "sci-fi", "crime thrillers", "poetry", "graphic novels",
               "biographies", "romance novels", "horror novels", "self-help books")
GENRES_SCREEN = ("horror movies", "romcoms", "documentaries", "anime", "reality TV", "K-dramas",
                 "superhero films", "period dramas", "stand-up comedy specials", "true crime shows")
MUSIC = ("jazz", "techno", "K-pop", "heavy metal", "country music", "classical music", "afrobeats", "reggaeton",
         "folk music", "hip hop", "opera", "synthwave")
PODCASTS = ("history podcasts", "true crime podcasts", "comedy podcasts", "science podcasts",
            "football podcasts", "business podcasts")
GAMES = ("Stardew Valley", "Zelda", "Elden Ring", "Minecraft", "FIFA", "Animal Crossing", "Civilization",
         "Hades", "Tetris", "Baldur's Gate 3")
PLACES = ("Iceland", "Japan", "Peru", "Morocco", "Vietnam", "the Scottish Highlands", "Sicily", "Norway",
          "Mexico City", "Crete", "Patagonia", "Bali", "the Dolomites", "Istanbul", "Cuba", "Tanzania", "Seoul",
          "the Azores", "Lapland", "New York")
GOALS = ("a house deposit", "a new car", "a trip to Japan", "a wedding", "a new laptop", "an emergency fund",
         "retirement", "a sabbatical", "an electric bike", "our honeymoon")
PURCHASES = ("a new laptop", "an e-bike", "a second-hand car", "a sofa", "a coffee machine", "a tent",
             "a sewing machine", "noise-cancelling headphones", "a standing desk", "a kayak")
CURRENCIES = ("£", "€", "$")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
APPOINTMENTS = ("a dentist appointment", "a job interview", "a physio session", "an eye test",
                "a meeting with my landlord", "a parents' evening", "a driving test", "a vet appointment",
                "a haircut", "a blood test")
KID_THINGS = ("dinosaurs", "football", "drawing", "Lego", "space", "horses", "ballet", "trains", "swimming",
              "Minecraft", "insects", "the piano")
PARTNER_ROLES = ("husband", "wife", "partner", "girlfriend", "boyfriend", "fiancé", "fiancée")
CHILD_ROLES = ("son", "daughter")
RELATIVES = ("brother", "sister", "mum", "dad", "grandma", "grandpa", "aunt", "uncle", "cousin")
PETS = ("cat", "dog", "rabbit", "parrot", "tortoise", "hamster", "guinea pig", "gecko")
OTHERS = ("coworker", "colleague", "neighbour", "manager", "classmate", "roommate", "flatmate", "boss")
